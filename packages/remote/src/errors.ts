import { SyfalaError } from '@syfala/proto';

export const REMOTE_ERROR_CODES = ['BAD_OPTION', 'UNSUPPORTED'] as const;

/**
 * BAD_OPTION: an option of openRemoteStream breaks a rule (the message names it and its value).
 * UNSUPPORTED: an endpoint streams mode cannot carry (streams at two rates).
 */
export type RemoteErrorCode = (typeof REMOTE_ERROR_CODES)[number];

export class RemoteError extends SyfalaError<RemoteErrorCode> {}
