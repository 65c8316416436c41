export { BoundsError, RingError } from './errors.js';
export type { RingErrorCode } from './errors.js';
export { decodeSamples, deinterleave, encodeSamples, interleave } from './sample-conversion.js';
export { MAX_RING_CAPACITY_SAMPLES, SpscRing } from './spsc-ring.js';
