/**
 * SeededRandom against known answers from the algorithms' reference C code:
 * fixtures/seeded-random.json is what fixtures/seeded-random-reference.c prints (FNV-1a 64,
 * splitmix64 and xoshiro128** as their authors give them), and the last test rebuilds it with
 * gcc so the file cannot drift from that program.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/index.js';
import { fnv1a64 } from '../src/seeded-random.js';

const REFERENCE_C = fileURLToPath(new URL('fixtures/seeded-random-reference.c', import.meta.url));
const KNOWN_PATH = fileURLToPath(new URL('fixtures/seeded-random.json', import.meta.url));
const KNOWN = JSON.parse(readFileSync(KNOWN_PATH, 'utf8')) as {
  fnv1a64: Record<string, string>;
  draws: Record<string, number[]>;
};
const HAS_GCC = spawnSync('gcc', ['--version']).status === 0;

const draws = (random: SeededRandom, n: number): number[] =>
  Array.from({ length: n }, () => random.nextUint32());

describe('SeededRandom', () => {
  it.each(Object.entries(KNOWN.fnv1a64))('hashes %j as FNV-1a 64 does', (text, hex) => {
    expect(fnv1a64(text).toString(16).padStart(16, '0')).toBe(hex);
  });

  it.each(Object.entries(KNOWN.draws))(
    'draws for the key %j what xoshiro128** seeded by splitmix64 draws',
    (key, expected) => {
      const parts = key.split('/') as [string, ...string[]];
      expect(draws(new SeededRandom(...parts), expected.length)).toEqual(expected);
    },
  );

  it('joins a key of numbers and strings as text: (7, "audio-header", 12345)', () => {
    const expected = KNOWN.draws['7/audio-header/12345']!;
    expect(draws(new SeededRandom(7, 'audio-header', 12_345), expected.length)).toEqual(expected);
  });

  it('derives next, chance, below, int, pick and bytes from the same uint32 draws', () => {
    const [first, second, third, fourth, fifth] = KNOWN.draws['1']!;
    const random = new SeededRandom(1);
    expect(random.next()).toBe(first! / 2 ** 32);
    expect(random.chance(0.5)).toBe(second! / 2 ** 32 < 0.5);
    expect(random.below(10)).toBe(Math.floor((third! / 2 ** 32) * 10));
    expect(random.int(-3, 3)).toBe(-3 + Math.floor((fourth! / 2 ** 32) * 7));
    expect(random.pick(['a', 'b', 'c'])).toBe(['a', 'b', 'c'][Math.floor((fifth! / 2 ** 32) * 3)]);
    const bytes = new SeededRandom(7).bytes(4);
    expect([...bytes]).toEqual(KNOWN.draws['7']!.slice(0, 4).map((n) => n & 0xff));
  });

  it('shuffles by Fisher–Yates from the top, one int(0, i) per place', () => {
    const draws = KNOWN.draws['1']!;
    const items = ['a', 'b', 'c', 'd'];
    new SeededRandom(1).shuffle(items);
    const expected = ['a', 'b', 'c', 'd'];
    for (let i = expected.length - 1, k = 0; i > 0; i--, k++) {
      const j = Math.floor((draws[k]! / 2 ** 32) * (i + 1));
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    expect(items).toEqual(expected);
    expect([...items].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it(`matches what the reference C program prints now${HAS_GCC ? '' : ' [skipped: gcc is not installed]'}`, ({
    skip,
  }) => {
    if (!HAS_GCC) skip();
    const dir = mkdtempSync(join(tmpdir(), 'seeded-random-'));
    try {
      const program = join(dir, 'reference');
      const built = spawnSync('gcc', ['-std=c11', '-O2', '-Wall', '-o', program, REFERENCE_C], {
        encoding: 'utf8',
      });
      expect(built.stderr).toBe('');
      const run = spawnSync(program, { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(readFileSync(KNOWN_PATH, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
