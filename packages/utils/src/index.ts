export { BoundsError, JitterBufferError, PacketizerError, RingError } from './errors.js';
export type { JitterBufferErrorCode, PacketizerErrorCode, RingErrorCode } from './errors.js';
export { CONCEALED_RANGE_HISTORY, JitterBuffer, SLIP_WINDOW_SECONDS } from './jitter-buffer.js';
export type {
  JitterBufferOptions,
  JitterBufferState,
  JitterBufferStats,
  PullResult,
} from './jitter-buffer.js';
export { StreamPacketizer } from './packetizer.js';
export type { EmitDatagram, StreamPacketizerOptions } from './packetizer.js';
export { decodeSamples, deinterleave, encodeSamples, interleave } from './sample-conversion.js';
export { MAX_RING_CAPACITY_SAMPLES, SpscRing } from './spsc-ring.js';
