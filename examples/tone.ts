/** The demo's test signal: a sine at `level` (linear peak) on every channel, computed per frame. */
export interface Tone {
  readonly frequencyHz: number;
  readonly level: number;
  readonly sampleRate: number;
  readonly channels: number;
}

/** Writes frames [firstFrame, firstFrame + frames) of `tone`, interleaved, into `out`. */
export function renderTone(
  tone: Tone,
  firstFrame: number,
  frames: number,
  out: Float32Array,
): void {
  const step = (2 * Math.PI * tone.frequencyHz) / tone.sampleRate;
  for (let f = 0; f < frames; f++) {
    const value = tone.level * Math.sin(step * ((firstFrame + f) % tone.sampleRate));
    for (let c = 0; c < tone.channels; c++) out[f * tone.channels + c] = value;
  }
}
