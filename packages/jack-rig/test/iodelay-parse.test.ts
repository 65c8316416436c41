import { describe, expect, it } from 'vitest';
import { parseIodelayLine, summarizeIodelay } from '../src/index.js';

// Captured from jack_iodelay (jackd2 1.9.21) on a direct loop at 48 kHz / 64 frames.
const CAPTURED = [
  'new capture latency: [0, 0]',
  'new playback latency: [0, 0]',
  'Signal below threshold...',
  '    64.000 frames      1.333 ms total roundtrip latency',
  '\textra loopback latency: 64 frames',
  '\tuse 32 for the backend arguments -I and -O',
  '    64.000 frames      1.333 ms total roundtrip latency',
  '\textra loopback latency: 63 frames',
  '\tuse 31 for the backend arguments -I and -O',
];

describe('jack_iodelay output', () => {
  it('reads frames and milliseconds from a reading line', () => {
    expect(parseIodelayLine('   384.000 frames      8.000 ms total roundtrip latency')).toEqual({
      frames: 384,
      ms: 8,
      flagged: false,
    });
    expect(parseIodelayLine('\textra loopback latency: 64 frames')).toBeNull();
  });

  it('marks doubtful (??) and inverted (Inv) readings', () => {
    expect(parseIodelayLine('   256.500 frames      5.344 ms total roundtrip latency ??')).toEqual({
      frames: 256.5,
      ms: 5.344,
      flagged: true,
    });
    expect(
      parseIodelayLine('    64.000 frames      1.333 ms total roundtrip latency Inv')?.flagged,
    ).toBe(true);
  });

  it('summarizes a steady run; the signal-search lines before the first reading do not count', () => {
    const run = summarizeIodelay(CAPTURED);
    expect(run).toMatchObject({ readings: [64, 64], median: 64, min: 64, max: 64, steady: true });
    expect(run.signalLost).toBe(0);
    expect(run.unparsed).toEqual([]);
  });

  it('is not steady when readings spread beyond the tolerance or the signal drops out', () => {
    const spread = summarizeIodelay([
      '   256.000 frames      5.333 ms total roundtrip latency',
      '   320.000 frames      6.667 ms total roundtrip latency',
      '   256.000 frames      5.333 ms total roundtrip latency',
    ]);
    expect(spread).toMatchObject({ median: 256, min: 256, max: 320, steady: false });
    const dropout = summarizeIodelay([
      '   256.000 frames      5.333 ms total roundtrip latency',
      'Signal below threshold...',
      '   256.000 frames      5.333 ms total roundtrip latency',
    ]);
    expect(dropout).toMatchObject({ median: 256, steady: false, signalLost: 1 });
  });

  it('gives NaN and every raw line back when nothing parses', () => {
    const run = summarizeIodelay(['Signal below threshold...', 'Signal below threshold...']);
    expect(run.readings).toEqual([]);
    expect(run.median).toBeNaN();
    expect(run.steady).toBe(false);
    expect(run.unparsed).toEqual(['Signal below threshold...', 'Signal below threshold...']);
  });
});
