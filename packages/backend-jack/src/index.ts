export { JackError, type JackErrorCode } from './errors.js';
export { type JackServerInfo } from '@syfala/native-engine';
export { JackEngine, type JackDeviceOptions, type JackDeviceInfo } from './jack-engine.js';
export { probeJack, type ProbeOptions } from './probe.js';
export {
  jackBackend,
  JackDuplexDevice,
  type JackDuplexOptions,
  type JackDuplexStats,
} from './duplex.js';
export { runDuplexWorker, type DuplexWorkerData, type DuplexWorkerEvent } from './duplex-worker.js';
