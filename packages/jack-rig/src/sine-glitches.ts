/**
 * Glitches in a recorded sine of known frequency and level: wherever the recording is not that
 * sine, whatever the system in between did there (silence, a repeated packet, a fade, a step).
 * The JACK benches (bench/jack/impairment.ts, latency.ts) count them the same way for every
 * bridge, and tell a bridge's own from those of the server it was recorded on.
 */

/** What a recording of the tone did, sample by sample. */
export interface SineGlitches {
  frames: number;
  /** Frames that are not the tone: silence, a fade, a step or a phase jump. */
  disturbedFrames: number;
  /** Runs of disturbed frames; runs less than a period apart count as one. */
  events: number;
  /** The first frame of each event, in order. */
  eventFrames: number[];
  /**
   * Steps and kinks: the second difference beyond 3 × the tone's own largest, once per
   * period-long stretch (as in packages/dataplane/test/fixtures/lossy-tone.ts). A fade is not one.
   */
  clicks: number;
}

export interface Tone {
  readonly frequencyHz: number;
  /** Peak, full scale 1. */
  readonly amplitude: number;
  readonly sampleRate: number;
}

/**
 * A frame is the tone when the sine's recurrence x[n] = 2 cos ω x[n−1] − x[n−2] holds within
 * this share of the amplitude (16-bit samples err by at most 4 × 2^−16 there: 0.0003 of a 0.2
 * peak) and the amplitude the last two frames imply is within AMPLITUDE_TOLERANCE of the tone's.
 */
const RECURRENCE_TOLERANCE = 0.005;
const AMPLITUDE_TOLERANCE = 0.05;
const CLICK_FACTOR = 3;

/** Glitches in `samples` (one channel) against `tone`; `periodFrames` groups them. */
export function sineGlitches(
  samples: Float32Array,
  tone: Tone,
  periodFrames: number,
): SineGlitches {
  const w = (2 * Math.PI * tone.frequencyHz) / tone.sampleRate;
  const twoCos = 2 * Math.cos(w);
  const sin2 = Math.sin(w) ** 2;
  const a = tone.amplitude;
  const clickThreshold = CLICK_FACTOR * a * (2 - twoCos);
  let disturbedFrames = 0;
  const eventFrames: number[] = [];
  let clicks = 0;
  let lastDisturbed = -Infinity;
  let lastClick = -Infinity;
  for (let n = 2; n < samples.length; n++) {
    const x = samples[n]!;
    const x1 = samples[n - 1]!;
    const x2 = samples[n - 2]!;
    const recurrence = Math.abs(x - twoCos * x1 + x2);
    // The amplitude of the sine at ω through the last two frames: A² sin²ω = x² + x1² − 2cosω x x1.
    const amplitude = Math.sqrt(Math.max(0, x * x + x1 * x1 - twoCos * x * x1) / sin2);
    if (
      recurrence > RECURRENCE_TOLERANCE * a ||
      Math.abs(amplitude - a) > AMPLITUDE_TOLERANCE * a
    ) {
      disturbedFrames++;
      if (n - lastDisturbed > periodFrames) eventFrames.push(n);
      lastDisturbed = n;
    }
    if (Math.abs(x - 2 * x1 + x2) > clickThreshold) {
      if (n - lastClick > periodFrames) clicks++;
      lastClick = n;
    }
  }
  return {
    frames: samples.length,
    disturbedFrames,
    events: eventFrames.length,
    eventFrames,
    clicks,
  };
}

/** How long a tone took through a bridge and back, frames: the least and the most it read. */
export interface DelayRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The events of `bridged` (the tone there and back through a bridge) that its server did not
 * make by itself: those with no event of `direct` (the tone straight from its port, recorded on
 * the same server at the same time) within a period of them, at once or `delay` earlier (what
 * the server did to the tone on its way out comes back one round trip later). What is left is
 * the bridge's, and the far server's.
 */
export function eventsBeyondServer(
  bridged: SineGlitches,
  direct: SineGlitches,
  delay: DelayRange,
  periodFrames: number,
): number {
  const near = (at: number, from: number, to: number): boolean =>
    direct.eventFrames.some((d) => d >= at - to - periodFrames && d <= at - from + periodFrames);
  return bridged.eventFrames.filter((b) => !near(b, 0, 0) && !near(b, delay.min, delay.max)).length;
}
