import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/random.js';

const draws = (random: SeededRandom, n: number): number[] =>
  Array.from({ length: n }, () => random.nextUint32());

describe('the seeded generator', () => {
  it('gives one sequence per seed and label, and unrelated ones otherwise', () => {
    expect(draws(new SeededRandom(7, 'a'), 100)).toEqual(draws(new SeededRandom(7, 'a'), 100));
    expect(draws(new SeededRandom(7, 'a'), 100)).not.toEqual(draws(new SeededRandom(8, 'a'), 100));
    expect(draws(new SeededRandom(7, 'a'), 100)).not.toEqual(draws(new SeededRandom(7, 'b'), 100));
    // Seed 0 is a seed like any other.
    expect(new Set(draws(new SeededRandom(0, ''), 100)).size).toBe(100);
  });

  it('is uniform enough for fates: mean, buckets and below()', () => {
    const random = new SeededRandom(1, 'uniform');
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    let [min, max] = [1, 0];
    for (let i = 0; i < n; i++) {
      const x = random.next();
      [min, max] = [Math.min(min, x), Math.max(max, x)];
      sum += x;
      buckets[Math.floor(x * 10)]!++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(500);
    const small = Array.from({ length: 1000 }, () => random.below(3));
    expect(new Set(small)).toEqual(new Set([0, 1, 2]));
  });
});
