export { JackRigError, INSTALL_HINT, type JackRigErrorCode } from './errors.js';
export { jackEnv, runCommand, type CommandResult } from './exec.js';
export { ManagedProcess, sleep, type ManagedProcessOptions, type ProcessExit } from './process.js';
export { JackServer, startJackServer, uniqueServerName, type JackServerOptions } from './server.js';
export { JackXrunLog, xrunsBetween, type JackXruns } from './xrun-log.js';
export {
  PipeWireServer,
  startPipeWireServer,
  PIPEWIRE_INSTALL_HINT,
  PIPEWIRE_JACK_LIBRARY_PATH,
  type PipeWireServerOptions,
} from './pipewire.js';
export {
  freeStaleJackSlots,
  readJackRegistry,
  processAlive,
  JACK_REGISTRY_PATH,
  JACK_TMP_DIR,
  type JackRegistry,
  type JackServerSlot,
  type JackSegment,
  type StaleCleanup,
} from './registry.js';
export {
  measureRoundTrip,
  parseIodelayLine,
  summarizeIodelay,
  IODELAY_IN,
  IODELAY_OUT,
  type RoundTrip,
  type RoundTripOptions,
} from './iodelay.js';
export { cpuSeconds, processTree, treeCpuSeconds } from './cpu.js';
export { mountSmallFileSystem, type SmallFileSystem } from './tmpfs.js';
export { jackCloseRace, type JackCloseRace } from './close-race.js';
export {
  sineGlitches,
  eventsBeyondServer,
  type SineGlitches,
  type Tone,
  type DelayRange,
} from './sine-glitches.js';
