import { SyfalaError } from '@syfala/proto';

/** Why the rig could not do what it was asked. */
export type JackRigErrorCode =
  /** `jackd` (or a JACK tool such as `jack_lsp`) is not installed. */
  | 'JACK_MISSING'
  /** jackd exited, or never accepted clients, while starting. */
  | 'START_FAILED'
  /** All 8 slots of JACK's machine-wide server registry are taken (live or stale). */
  | 'TOO_MANY_SERVERS'
  /** A live server already has this name. */
  | 'SERVER_EXISTS'
  /** A JACK tool (jack_connect, jack_lsp, …) exited non-zero or timed out. */
  | 'COMMAND_FAILED'
  /** jack_iodelay ran but printed nothing the parser understands. */
  | 'IODELAY_PARSE'
  /** The registry lock (JACK's SysV semaphore) could not be taken. */
  | 'REGISTRY_LOCK'
  /** The registry exists but its layout is not the one this code knows. */
  | 'REGISTRY_LAYOUT'
  /** An option value out of range. */
  | 'BAD_OPTION'
  /** The server handle was used after stop(). */
  | 'STOPPED';

export class JackRigError extends SyfalaError<JackRigErrorCode> {}

/** Appended to messages when a JACK program is missing. */
export const INSTALL_HINT =
  'install jackd2 libjack-jackd2-dev (apt-get install jackd2 libjack-jackd2-dev)';
