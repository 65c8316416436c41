import { SyfalaError } from '@syfala/proto';

/**
 * Why the CoreAudio backend failed. UNSUPPORTED_PLATFORM: not macOS. NOT_INSTALLED: the native
 * addon was not built (no Xcode command-line tools at install). DEVICE_NOT_FOUND: no device with
 * that UID or name, or no default device. DEVICE_FAILED: CoreAudio refused a call (the message
 * names it and its OSStatus). FORMAT_MISMATCH: a stream's rate or channel count doesn't fit the
 * device. BAD_OPTION, BAD_STATE, ENGINE_FAILED: as for @syfala/audio's engine.
 */
export type CoreAudioErrorCode =
  | 'UNSUPPORTED_PLATFORM'
  | 'NOT_INSTALLED'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_FAILED'
  | 'FORMAT_MISMATCH'
  | 'BAD_OPTION'
  | 'BAD_STATE'
  | 'ENGINE_FAILED';

export class CoreAudioError extends SyfalaError<CoreAudioErrorCode> {}

export const CODES: readonly CoreAudioErrorCode[] = [
  'UNSUPPORTED_PLATFORM',
  'NOT_INSTALLED',
  'DEVICE_NOT_FOUND',
  'DEVICE_FAILED',
  'FORMAT_MISMATCH',
  'BAD_OPTION',
  'BAD_STATE',
  'ENGINE_FAILED',
];
