import { SyfalaError } from '@syfala/proto';

/** Why a ring could not be created over, or attached to, a buffer. */
export type RingErrorCode = 'BAD_CAPACITY' | 'BAD_BUFFER';

export class RingError extends SyfalaError<RingErrorCode> {}

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
