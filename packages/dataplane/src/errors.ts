import { SyfalaError } from '@syfala/proto';

/** Why a ring could not be created over, or attached to, a buffer. */
export type RingErrorCode = 'BAD_CAPACITY' | 'BAD_BUFFER';

export class RingError extends SyfalaError<RingErrorCode> {}

/**
 * Why a packetizer could not be built (a stream index, datagram budget, redundancy or period
 * size out of range), refused a period (longer than the redundancy history holds), or could not
 * write a datagram (its sink lent a buffer too small for it).
 */
export type PacketizerErrorCode =
  | 'BAD_STREAM_INDEX'
  | 'BAD_BUDGET'
  | 'BAD_REDUNDANCY'
  | 'BAD_MAX_PERIOD'
  | 'PERIOD_TOO_LARGE'
  | 'BUFFER_TOO_SMALL';

export class PacketizerError extends SyfalaError<PacketizerErrorCode> {}

/**
 * A jitter buffer sized or driven wrongly: capacity below twice the target latency, a target
 * latency out of range, or a byte index that is not a non-negative safe integer.
 */
export type JitterBufferErrorCode = 'BAD_CAPACITY' | 'BAD_TARGET_LATENCY' | 'BAD_BYTE_INDEX';

export class JitterBufferError extends SyfalaError<JitterBufferErrorCode> {}

/**
 * A latency adapter set up or fed wrongly: a sample rate, period, target bound or safety margin
 * out of range, a run end that is not a finite number, or pulled frames that are not a whole
 * number ≥ 0.
 */
export type LatencyAdapterErrorCode =
  'BAD_SAMPLE_RATE' | 'BAD_PERIOD' | 'BAD_TARGET' | 'BAD_SAFETY' | 'BAD_ARRIVAL' | 'BAD_FRAMES';

export class LatencyAdapterError extends SyfalaError<LatencyAdapterErrorCode> {}

/** A loss concealer built with a channel count or sample rate out of range. */
export type ConcealerErrorCode = 'BAD_CHANNELS' | 'BAD_SAMPLE_RATE';

export class ConcealerError extends SyfalaError<ConcealerErrorCode> {}

/**
 * The WebAssembly core refused: a C++ check the wrapper's own checks let through (REFUSED, with
 * the core's sentence), or its heap could not grow (OUT_OF_MEMORY).
 */
export class CoreError extends SyfalaError<'REFUSED' | 'OUT_OF_MEMORY'> {}

/** A rate converter built with a sample rate that is not positive and finite. */
export class ResamplerError extends SyfalaError<'BAD_SAMPLE_RATE'> {}

/**
 * An offset/count pair that is not a range of non-negative integers inside the array it indexes.
 * A caller's bug, never a property of received data.
 */
export class BoundsError extends SyfalaError<'OUT_OF_BOUNDS'> {}

/** Throws unless [offset, offset + count) lies inside an array of `length` elements. */
export function checkRange(what: string, length: number, offset: number, count: number): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 0 ||
    offset + count > length
  ) {
    throw new BoundsError(
      'OUT_OF_BOUNDS',
      `${what}: expected offset + count ≤ ${length}, got offset ${String(offset)}, count ${String(count)}`,
    );
  }
}
