import { SyfalaError } from '@syfala/proto';

export const AUDIO_ERROR_CODES = [
  'BAD_OPTION',
  'BAD_STATE',
  'FILE_ERROR',
  'BAD_WAV',
  'UNSUPPORTED',
  'ENGINE_FAILED',
  'DEVICE_FAILED',
  'PROCESSOR_FAILED',
] as const;

/**
 * Why an audio device or file operation failed. BAD_OPTION: an option or argument breaks a rule
 * (the message names the field). BAD_STATE: a call the object can't take now (start while
 * running, write after close). FILE_ERROR: the file system refused (open, read, write, close).
 * BAD_WAV: a file that is not a well-formed WAV. UNSUPPORTED: well-formed, but not something we
 * handle (A-law, RF64, a sample type WAV can't hold). ENGINE_FAILED: the streaming engine's
 * worker could not bind its socket, or died (every call pending then or made later rejects with
 * it). DEVICE_FAILED: the engine could not open its device. PROCESSOR_FAILED: an app's processor module
 * could not be loaded, or threw (engine/processor.ts).
 */
export type AudioErrorCode = (typeof AUDIO_ERROR_CODES)[number];

export class AudioError extends SyfalaError<AudioErrorCode> {}

/** FILE_ERROR for a failed file operation, keeping the system error as the cause. */
export function fileError(what: string, cause: unknown): AudioError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AudioError('FILE_ERROR', `${what}: ${reason}`, { cause });
}
