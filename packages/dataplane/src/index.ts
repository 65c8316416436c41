export {
  BoundsError,
  ConcealerError,
  CoreError,
  JitterBufferError,
  LatencyAdapterError,
  PacketizerError,
  ResamplerError,
  RingError,
} from './errors.js';
export type {
  ConcealerErrorCode,
  JitterBufferErrorCode,
  LatencyAdapterErrorCode,
  PacketizerErrorCode,
  RingErrorCode,
} from './errors.js';
export { CONCEALED_RANGE_HISTORY, JitterBuffer, SLIP_WINDOW_SECONDS } from './jitter-buffer.js';
export type {
  JitterBufferOptions,
  JitterBufferState,
  JitterBufferStats,
  PullResult,
} from './jitter-buffer.js';
export { StreamPacketizer } from './packetizer.js';
export type { DatagramSink, StreamPacketizerOptions } from './packetizer.js';
export { decodeSamples, encodeSamples } from './sample-conversion.js';
export { MAX_RING_CAPACITY_SAMPLES, SpscRing } from './spsc-ring.js';
export { DriftCompensatedStream } from './drift-compensated-stream.js';
export type { DriftCompensatedStreamOptions } from './drift-compensated-stream.js';
export {
  DRIFT_ACQUIRE_SECONDS,
  DRIFT_LOOP_HZ,
  DriftController,
  MAX_DRIFT_PPM,
  MAX_PROPORTIONAL_PPM,
} from './drift-controller.js';
export type { DriftControllerOptions } from './drift-controller.js';
export { DriftResampler } from './resampler.js';
export { RateConverter } from './rate-converter.js';
export type { RateConverterOptions } from './rate-converter.js';
export {
  CROSSFADE_SECONDS,
  FADE_SECONDS,
  HOLD_SECONDS,
  LossConcealer,
  MAX_CYCLE_SECONDS,
  MIN_CYCLE_SECONDS,
} from './loss-concealer.js';
export type { ConcealmentMode, LossConcealerOptions } from './loss-concealer.js';
export {
  JITTER_WINDOW_SECONDS,
  LatencyAdapter,
  SHRINK_HOLD_SECONDS,
  SHRINK_INTERVAL_SECONDS,
  SHRINK_STEP_MS,
  TOLERATED_BLOCKS,
  UNDERRUN_SPACING_SECONDS,
} from './latency-adapter.js';
export type { LatencyAdapterOptions } from './latency-adapter.js';
export { METER_BLOCK_MS, PeakMeter } from './peak-meter.js';
export type { PeakMeterOptions } from './peak-meter.js';
