import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { WavReader, WavWriter, type WavFormat } from '@syfala/audio';
import { CROSSFADE_SECONDS } from '@syfala/dataplane';
import { SeededRandom } from '@syfala/proto';

/** Whether sox, the real tool that reads and writes what we do, is installed (.ci/run installs it). */
export const hasSox = spawnSync('sox', ['--version']).status === 0;
/** Appended to the name of a test that needs sox, so a skip says why. */
export const needsSox = hasSox ? '' : ' [skipped: sox is not installed; apt-get install sox]';

/** A fresh temporary folder, removed when the test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'syfala-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A WAV file of `frames` frames of seeded pseudo-random samples in (−peak, peak) (exact in
 * `format`), its first sample 0.5 so a recording's start can be found; returns the interleaved
 * samples written.
 */
export async function writeSignal(
  path: string,
  format: WavFormat,
  frames: number,
  seed: number,
  peak = 0.8,
): Promise<Float32Array> {
  const samples = new Float32Array(frames * format.channels);
  const random = new SeededRandom(seed);
  for (let i = 0; i < samples.length; i++) samples[i] = (random.next() - 0.5) * 2 * peak;
  samples[0] = 0.5;
  const writer = await WavWriter.create(path, { ...format, maxFrames: frames });
  writer.write(samples, frames);
  await writer.close();
  // What the file holds is the signal, after the format's quantisation.
  const reader = await WavReader.open(path);
  const stored = new Float32Array(samples.length);
  reader.read(stored, frames);
  await reader.close();
  return stored;
}

/**
 * A receiver's counted slips (skippedFrames), each crossfaded by the concealer over
 * CROSSFADE_SECONDS: what matchingFrames may find missing from its recording at `sampleRate`.
 */
export function countedSlips(
  skippable: number,
  sampleRate: number,
): { skippable: number; spliceFrames: number } {
  return { skippable, spliceFrames: Math.round(CROSSFADE_SECONDS * sampleRate) };
}

/**
 * How many frames of `recording`, from its first non-silent frame on, equal `sent` sample for
 * sample, starting wherever that frame stands in `sent` (a live card was already playing when
 * the recording began). With `loop`, `sent` repeats for ever (a looped source).
 *
 * With `slips`, up to `skippable` frames of `sent` may be missing from the recording (a jitter
 * buffer's counted slips), each gap spliced in over `spliceFrames` frames (the concealer's
 * crossfade) that are not compared; after it, the recording resumes exactly. `skipped` says how
 * many frames of `sent` were missing, `spliced` how many recorded frames were crossfades.
 */
export function matchingFrames(
  recording: Float32Array,
  sent: Float32Array,
  channels: number,
  loop = false,
  slips = { skippable: 0, spliceFrames: 0 },
): { start: number; offset: number; frames: number; skipped: number; spliced: number } {
  let first = 0;
  while (first < recording.length && recording[first] === 0) first++;
  const start = Math.floor(first / channels);
  const sentFrames = sent.length / channels;
  const recordedFrames = Math.floor(recording.length / channels);
  const sameFrame = (r: number, s: number): boolean => {
    if (r >= recordedFrames || (!loop && s >= sentFrames)) return false;
    const at = (loop ? s % sentFrames : s) * channels;
    for (let c = 0; c < channels; c++) {
      if (recording[r * channels + c] !== sent[at + c]) return false;
    }
    return true;
  };
  // Located on a run of frames: one 16-bit mono value recurs many times in seconds of signal.
  const sameRun = (r: number, s: number): boolean => {
    for (let k = 0; k < LOCATE_RUN_FRAMES; k++) if (!sameFrame(r + k, s + k)) return false;
    return true;
  };
  let offset = 0;
  while (offset < sentFrames && !sameRun(start, offset)) offset++;
  let frames = 0;
  let skipped = 0;
  let spliced = 0;
  for (let r = start, s = offset; ;) {
    while (sameFrame(r, s)) {
      frames++;
      r++;
      s++;
    }
    const resumes = (skip: number): boolean =>
      sameRun(r + slips.spliceFrames, s + skip + slips.spliceFrames);
    let skip = 1;
    while (skip <= slips.skippable - skipped && !resumes(skip)) skip++;
    if (skip > slips.skippable - skipped) break;
    skipped += skip;
    spliced += slips.spliceFrames;
    r += slips.spliceFrames;
    s += skip + slips.spliceFrames;
  }
  return { start, offset, frames, skipped, spliced };
}

const LOCATE_RUN_FRAMES = 8;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
