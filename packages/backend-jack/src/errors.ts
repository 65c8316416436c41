import { SyfalaError } from '@syfala/proto';

/**
 * Why the JACK backend failed. NOT_INSTALLED: the native addon is missing or was built without
 * libjack (the message names the Debian packages). SERVER_UNAVAILABLE: no JACK server answers
 * (or it went away). PORT_FAILED: JACK refused a port registration or connection. FORMAT_MISMATCH:
 * a stream's rate differs from the JACK server's (no resampling on this path yet). BAD_OPTION,
 * BAD_STATE, ENGINE_FAILED: as for @syfala/audio's engine. PROCESSOR_FAILED: a duplex stream's
 * processor module could not be loaded, or threw. CLOSE_HUNG: an earlier client of this process
 * has not finished closing (jack2's close race) and holds libjack's lock, so no other can open.
 */
export type JackErrorCode =
  | 'NOT_INSTALLED'
  | 'SERVER_UNAVAILABLE'
  | 'PORT_FAILED'
  | 'FORMAT_MISMATCH'
  | 'BAD_OPTION'
  | 'BAD_STATE'
  | 'ENGINE_FAILED'
  | 'PROCESSOR_FAILED'
  | 'CLOSE_HUNG';

export class JackError extends SyfalaError<JackErrorCode> {}

export const INSTALL_HINT =
  'install jackd2 and libjack-jackd2-dev (apt-get install -y jackd2 libjack-jackd2-dev), then ' +
  'run pnpm install again to rebuild the native addon';
