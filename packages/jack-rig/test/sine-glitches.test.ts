import { describe, expect, it } from 'vitest';
import { eventsBeyondServer, sineGlitches, type Tone } from '../src/index.js';

const TONE: Tone = { frequencyHz: 240, amplitude: 0.2, sampleRate: 48_000 };
const PERIOD = 64;

/** One second of the tone with a period of silence at each of `gaps`. */
function toneWithGaps(gaps: readonly number[]): Float32Array {
  const w = (2 * Math.PI * TONE.frequencyHz) / TONE.sampleRate;
  const samples = Float32Array.from(
    { length: TONE.sampleRate },
    (_, n) => TONE.amplitude * Math.sin(w * n),
  );
  for (const at of gaps) samples.fill(0, at, at + PERIOD);
  return samples;
}

describe('sineGlitches', () => {
  it('finds each break of the tone once, where it starts', () => {
    const glitches = sineGlitches(toneWithGaps([5_050, 20_050]), TONE, PERIOD);
    expect(glitches.events).toBe(2);
    expect(glitches.eventFrames).toEqual([5_050, 20_050]);
    expect(glitches.disturbedFrames).toBeGreaterThanOrEqual(2 * PERIOD);
  });

  it('finds nothing in the tone itself', () => {
    expect(sineGlitches(toneWithGaps([]), TONE, PERIOD)).toMatchObject({
      events: 0,
      eventFrames: [],
      disturbedFrames: 0,
    });
  });
});

describe('eventsBeyondServer', () => {
  // The server broke the tone at 5,050 and 20,050: the bridged recording shows the first at once
  // (the recorder ran late) and the second a round trip later (it went out broken).
  const direct = sineGlitches(toneWithGaps([5_050, 20_050]), TONE, PERIOD);
  const roundTrip = { min: 380, max: 420 };

  it("leaves out the server's own breaks, at once and a round trip later", () => {
    const bridged = sineGlitches(toneWithGaps([5_060, 20_450, 30_050]), TONE, PERIOD);
    expect(bridged.events).toBe(3);
    expect(eventsBeyondServer(bridged, direct, roundTrip, PERIOD)).toBe(1);
  });

  it('keeps a break that no break of the server explains', () => {
    // 600 frames after the server's: later than any round trip it read.
    const bridged = sineGlitches(toneWithGaps([20_650, 40_050]), TONE, PERIOD);
    expect(eventsBeyondServer(bridged, direct, roundTrip, PERIOD)).toBe(2);
  });
});
