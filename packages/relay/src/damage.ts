import type { SeededRandom } from '@syfala/proto';

/** The first 0 to length − 1 bytes (a view: the caller's copy is its own). */
export function truncate(datagram: Buffer, random: SeededRandom): Buffer {
  return datagram.subarray(0, random.below(datagram.length));
}

/**
 * Flips `bits` distinct bits at random positions, in place. Distinct, so that a copy counted as
 * corrupted always differs from what was sent (two flips of one bit would cancel).
 */
export function flipBits(datagram: Buffer, bits: number, random: SeededRandom): number {
  const total = datagram.length * 8;
  const flips = Math.min(bits, total);
  const flipped = new Set<number>();
  while (flipped.size < flips) {
    const bit = random.below(total);
    if (flipped.has(bit)) continue;
    flipped.add(bit);
    datagram[bit >>> 3]! ^= 1 << (bit & 7);
  }
  return flips;
}
