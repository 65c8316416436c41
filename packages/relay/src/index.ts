export { RelayError, type RelayErrorCode } from './errors.js';
export { ImpairmentRelay, type RelayOptions } from './relay.js';
export type { Corruption, GilbertElliott, Impairments, Jitter, Reorder } from './options.js';
export { formatEndpoint, parseEndpoint, type Endpoint } from './addresses.js';
export {
  mergeRanges,
  type ByteRange,
  type DelayStats,
  type DirectionReport,
  type RelayReport,
  type StreamFates,
} from './report.js';
