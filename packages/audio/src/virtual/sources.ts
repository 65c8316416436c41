import { SeededRandom } from '@syfala/proto';
import type { WavReader } from '../wav/wav-reader.js';

/** Produces one input stream's captured audio, period by period, without allocating. */
export interface Source {
  /** Writes `frames` interleaved frames at the start of `out`. */
  render(out: Float32Array, frames: number): void;
  close(): Promise<void>;
}

/** Peak amplitude of a level in dBFS (0 dBFS = 1.0). */
function amplitude(levelDbfs: number): number {
  return 10 ** (levelDbfs / 20);
}

/** A sine, the same sample on every channel: sample k = A · sin(2π · f · k / rate). */
export class ToneGenerator implements Source {
  readonly #channels: number;
  readonly #amplitude: number;
  readonly #frequency: number;
  readonly #rate: number;
  /**
   * The phase in cycles × rate, kept in [0, rate): with an integer frequency and rate it is an
   * exact integer, so the tone never drifts however long it runs.
   */
  #phase = 0;

  constructor(channels: number, rate: number, frequencyHz: number, levelDbfs: number) {
    this.#channels = channels;
    this.#rate = rate;
    this.#frequency = frequencyHz;
    this.#amplitude = amplitude(levelDbfs);
  }

  render(out: Float32Array, frames: number): void {
    const channels = this.#channels;
    const radiansPerUnit = (2 * Math.PI) / this.#rate;
    let phase = this.#phase;
    for (let f = 0, i = 0; f < frames; f++) {
      const sample = this.#amplitude * Math.sin(phase * radiansPerUnit);
      for (let c = 0; c < channels; c++) out[i++] = sample;
      phase += this.#frequency;
      if (phase >= this.#rate) phase -= this.#rate;
    }
    this.#phase = phase;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Uniform white noise in [−A, A), one draw per sample, so channels differ. */
export class NoiseGenerator implements Source {
  readonly #channels: number;
  readonly #amplitude: number;
  readonly #random: SeededRandom;

  constructor(channels: number, levelDbfs: number, seed: number) {
    this.#channels = channels;
    this.#amplitude = amplitude(levelDbfs);
    this.#random = new SeededRandom(seed);
  }

  render(out: Float32Array, frames: number): void {
    const random = this.#random;
    const scale = 2 * this.#amplitude;
    for (let i = 0, end = frames * this.#channels; i < end; i++) {
      out[i] = (random.next() - 0.5) * scale;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class Silence implements Source {
  readonly #channels: number;

  constructor(channels: number) {
    this.#channels = channels;
  }

  render(out: Float32Array, frames: number): void {
    out.fill(0, 0, frames * this.#channels);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Plays a WAV file (same rate and channel count as the stream), looped or then silent. */
export class WavPlayer implements Source {
  readonly #reader: WavReader;
  readonly #loop: boolean;

  constructor(reader: WavReader, loop: boolean) {
    this.#reader = reader;
    this.#loop = loop;
  }

  render(out: Float32Array, frames: number): void {
    const reader = this.#reader;
    for (let done = 0; done < frames;) {
      done += reader.read(out, frames - done, done);
      if (done === frames) return;
      if (!this.#loop || reader.frames === 0) {
        out.fill(0, done * reader.format.channels, frames * reader.format.channels);
        return;
      }
      reader.seek(0);
    }
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}
