import { SyfalaError } from '@syfala/proto';

/** Why the relay refused its options. */
export type RelayErrorCode =
  /** An impairment or a seed out of range (a probability outside [0, 1], a negative delay…). */
  | 'BAD_OPTION'
  /** Not an IP address and port the relay can use (a host name, a port out of range). */
  | 'BAD_ADDRESS'
  /** An address the relay will not listen on or send to (see addresses.ts). */
  | 'ADDRESS_REFUSED';

export class RelayError extends SyfalaError<RelayErrorCode> {}
