export { Daemon, peerId, type DaemonOptions } from './daemon.js';
export {
  AUTO_INITIAL_PERIODS,
  DEFAULT_TARGET_LATENCY_FRAMES,
  defaultPlayout,
  type Latency,
  type Playout,
} from './playout.js';
export { streamWith, type StreamOptions, type StreamResult } from './stream-client.js';
export { parseFormat, parseFormats } from './format-spec.js';
export { resolveEndpoint, type ResolveOptions } from './resolve-endpoint.js';
