import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  AUDIO_HEADER_BYTES,
  SAMPLE_TYPES,
  STANDARD_FORMAT,
  bytesPerFrame,
  createAudioHeader,
  makeFormat,
  readAudioHeader,
} from '@syfala/proto';
import type { Format, SampleType } from '@syfala/proto';

import { BoundsError } from '../src/errors.js';
import {
  CONCEALED_RANGE_HISTORY,
  JitterBuffer,
  RESYNC_AFTER_RUNS,
  SLIP_WINDOW_SECONDS,
} from '../src/jitter-buffer.js';
import type { PullResult } from '../src/jitter-buffer.js';
import { StreamPacketizer } from '../src/packetizer.js';

type Range = [number, number];

const format = (sampleType: SampleType, channels: number): Format =>
  makeFormat({ sampleType, channels, sampleRate: 48_000, bufferFrames: 0 });

/** The stream's content: byte b is (b mod 251) + 1, never 0, so silence stands out. */
const pattern = (from: number, count: number): Uint8Array =>
  Uint8Array.from({ length: count }, (_, i) => ((from + i) % 251) + 1);

const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.split(' ').map((byte) => Number.parseInt(byte, 16)));

/** Pushes the stream bytes [start, end), as one AUDI run would carry them. */
const pushRun = (jb: JitterBuffer, [start, end]: Range): number =>
  jb.push(start, pattern(start, end - start), 0, end - start);

const pull = (jb: JitterBuffer, bytes: number, frames: number): Uint8Array => {
  const out = new Uint8Array(frames * bytes).fill(0xee);
  jb.pull(out, 0, frames);
  return out;
};

/** [start, end) cut into runs of `size` bytes. */
const runs = (start: number, end: number, size: number): Range[] => {
  const list: Range[] = [];
  for (let i = start; i < end; i += size) list.push([i, Math.min(end, i + size)]);
  return list;
};

/** The stream [start, end) as played: pattern, with `concealed` ranges zeroed (signed formats). */
const expectedPlay = (start: number, end: number, concealed: Range[]): Uint8Array => {
  const bytes = pattern(start, end - start);
  for (const [s, e] of concealed)
    bytes.fill(0, Math.max(s, start) - start, Math.min(e, end) - start);
  return bytes;
};

// i16 stereo: 4 bytes per frame, small enough to read byte indices at a glance.
const I16_STEREO = format('i16', 2);
const BPF = 4;

/** i16 stereo at 8 Hz, so the slip window is 4 frames (two pulls of 2); target 2 frames. */
const slipWindowBuffer = (): JitterBuffer =>
  new JitterBuffer({
    format: makeFormat({ sampleType: 'i16', channels: 2, sampleRate: 8, bufferFrames: 0 }, 'any'),
    capacityFrames: 32,
    targetLatencyFrames: 2,
  });

describe('JitterBuffer', () => {
  it('plays an in-order stream back byte for byte once the target latency is buffered', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 16, targetLatencyFrames: 8 });
    const periodFrames = 4;
    const periodBytes = periodFrames * BPF;
    const played: Uint8Array[] = [];

    // Tick 0: 4 frames buffered, below the target of 8: priming silence, playhead stays.
    pushRun(jb, [0, periodBytes]);
    expect(pull(jb, BPF, periodFrames)).toEqual(new Uint8Array(periodBytes));
    expect(jb.state).toBe('priming');
    expect(jb.stats()).toMatchObject({ primingFrames: 4, playheadByte: 0, bufferedFrames: 4 });

    for (let tick = 1; tick < 12; tick++) {
      pushRun(jb, [tick * periodBytes, (tick + 1) * periodBytes]);
      // Playback starts with exactly the target latency buffered and holds it every period.
      expect(jb.stats().bufferedFrames).toBe(8);
      played.push(pull(jb, BPF, periodFrames));
      expect(jb.state).toBe('playing');
      expect(jb.stats().bufferedFrames).toBe(8 - periodFrames);
    }

    expect(Buffer.concat(played)).toEqual(Buffer.from(pattern(0, 11 * periodBytes)));
    expect(jb.stats()).toEqual({
      receivedBytes: 12 * periodBytes,
      datagrams: 12,
      lostBytes: 0,
      lostFrames: 0,
      late: 0,
      duplicate: 0,
      overlapTrimmed: 0,
      overrunDatagrams: 0,
      overrunBytes: 0,
      underruns: 0,
      primingFrames: 4,
      underrunFrames: 0,
      skippedFrames: 0,
      resyncs: 0,
      bufferedFrames: 4,
      targetLatencyFrames: 8,
      playheadByte: 11 * periodBytes,
      highestByte: 12 * periodBytes,
    });
    expect(jb.concealedRanges()).toEqual([]);
  });

  it('conceals exactly the byte ranges of the dropped datagrams and counts them as lost', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 16, targetLatencyFrames: 8 });
    // 10 periods of 4 frames, two datagrams of 2 frames (8 bytes) each; a period plays two ticks
    // after it was sent, when the next period has arrived, so each gap is inside a period whose
    // end is there: concealed, not an underrun.
    const datagrams = runs(0, 10 * 16, 8);
    const dropped = new Set([3, 4, 9, 15]);
    const played: Uint8Array[] = [];
    for (let tick = 0; tick < 10; tick++) {
      for (const k of [2 * tick, 2 * tick + 1]) if (!dropped.has(k)) pushRun(jb, datagrams[k]!);
      const out = pull(jb, BPF, 4);
      if (tick >= 2) played.push(out);
    }
    // [24, 40) is two adjacent datagrams, concealed across a period boundary: one range.
    const concealed: Range[] = [
      [24, 40],
      [72, 80],
      [120, 128],
    ];
    expect(jb.concealedRanges()).toEqual(concealed);
    expect(Buffer.concat(played)).toEqual(Buffer.from(expectedPlay(0, 128, concealed)));
    expect(jb.stats()).toMatchObject({
      lostBytes: 32,
      lostFrames: 8,
      late: 0,
      underruns: 0,
      primingFrames: 8,
      receivedBytes: 128,
      datagrams: 16,
      playheadByte: 128,
    });
  });

  it('reports per pull whether it played, what it concealed and whether it underran', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    const out = new Uint8Array(8);
    expect(jb.pull(out, 0, 2)).toEqual({
      playing: false,
      concealedBytes: 0,
      underrun: false,
      skippedFrames: 0,
    });
    pushRun(jb, [0, 4]);
    pushRun(jb, [6, 8]);
    expect(jb.pull(out, 0, 2)).toEqual({
      playing: true,
      concealedBytes: 2,
      underrun: false,
      skippedFrames: 0,
    });
    // Nothing of the next period: due, not there, so an underrun, not a loss.
    expect(jb.pull(out, 0, 2)).toEqual({
      playing: false,
      concealedBytes: 0,
      underrun: true,
      skippedFrames: 0,
    });
    pushRun(jb, [8, 16]);
    expect(jb.pull(out, 0, 2)).toEqual({
      playing: true,
      concealedBytes: 0,
      underrun: false,
      skippedFrames: 0,
    });
    expect(jb.stats()).toMatchObject({ underruns: 1, lostBytes: 2, primingFrames: 4 });
  });

  it('loses nothing when datagrams are reordered within the latency window', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 16, targetLatencyFrames: 8 });
    const datagrams = runs(0, 10 * 16, 8);
    // Each period's two datagrams swapped, and every odd period held back one period.
    const arrivals: Range[][] = Array.from({ length: 11 }, () => []);
    for (let period = 0; period < 10; period++) {
      arrivals[period + (period % 2)]!.push(datagrams[2 * period + 1]!, datagrams[2 * period]!);
    }
    const played: Uint8Array[] = [];
    let primingPulls = 0;
    for (let tick = 0; tick < 11; tick++) {
      for (const run of arrivals[tick]!) pushRun(jb, run);
      const out = pull(jb, BPF, 4);
      if (jb.state === 'playing') played.push(out);
      else primingPulls++;
    }
    expect(primingPulls).toBe(2);
    expect(Buffer.concat(played)).toEqual(Buffer.from(pattern(0, 9 * 16)));
    expect(jb.stats()).toMatchObject({ lostBytes: 0, late: 0, duplicate: 0, underruns: 0 });
  });

  it('conceals a datagram reordered beyond the window, then drops it as late', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    pushRun(jb, [0, 8]);
    pushRun(jb, [16, 24]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    // Its range was played as silence: too late, dropped, and the output stays as played.
    expect(pushRun(jb, [8, 16])).toBe(0);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    expect(jb.concealedRanges()).toEqual([[8, 16]]);
    expect(jb.stats()).toMatchObject({ late: 1, duplicate: 0, lostBytes: 8, lostFrames: 2 });
  });

  it('counts a past run that was partly received and partly concealed as late', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 1 });
    pushRun(jb, [0, 6]);
    pushRun(jb, [8, 12]);
    expect(pull(jb, BPF, 2)).toEqual(expectedPlay(0, 8, [[6, 8]]));
    expect(pushRun(jb, [4, 8])).toBe(0);
    expect(jb.stats()).toMatchObject({ late: 1, duplicate: 0 });
  });

  it('primes until at least a whole pull is buffered, even above the target', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 1 });
    pushRun(jb, [0, 12]);
    // 3 frames buffered, target 1, but a 4-frame pull would be an underrun: keep priming.
    expect(jb.pull(new Uint8Array(16), 0, 4)).toEqual({
      playing: false,
      concealedBytes: 0,
      underrun: false,
      skippedFrames: 0,
    });
    pushRun(jb, [12, 16]);
    expect(pull(jb, BPF, 4)).toEqual(pattern(0, 16));
    expect(jb.stats()).toMatchObject({ primingFrames: 4, underruns: 0, playheadByte: 16 });
  });

  it('drops duplicates before and after play, counts each, and leaves the output alone', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    expect(pushRun(jb, [0, 8])).toBe(8);
    // Before play: the bytes are already buffered; the copy must not overwrite them.
    expect(jb.push(0, new Uint8Array(8).fill(0x55), 0, 8)).toBe(0);
    expect(jb.stats().duplicate).toBe(1);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    // After play: received and played, nothing concealed, so a duplicate rather than late.
    expect(jb.push(0, new Uint8Array(8).fill(0x55), 0, 8)).toBe(0);
    pushRun(jb, [8, 16]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    expect(jb.stats()).toMatchObject({ duplicate: 2, late: 0, lostBytes: 0, receivedBytes: 16 });
  });

  it('stores only the missing bytes of a partial duplicate and does not count it', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 4 });
    pushRun(jb, [0, 8]);
    expect(jb.push(4, new Uint8Array(12).fill(0x55), 4, 8)).toBe(4);
    expect(pushRun(jb, [12, 16])).toBe(4);
    expect(pull(jb, BPF, 4)).toEqual(
      Uint8Array.of(...pattern(0, 8), ...[0x55, 0x55, 0x55, 0x55], ...pattern(12, 4)),
    );
    expect(jb.stats()).toMatchObject({ duplicate: 0, receivedBytes: 16, datagrams: 3 });
  });

  it('keeps only the part of a run at or after the playhead', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    pushRun(jb, [0, 8]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pushRun(jb, [4, 16])).toBe(8);
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    expect(jb.stats()).toMatchObject({ overlapTrimmed: 1, late: 0, duplicate: 0, lostBytes: 0 });
  });

  it('counts a trimmed run whose remaining bytes are all buffered as a duplicate too', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 1 });
    pushRun(jb, [0, 16]);
    pull(jb, BPF, 2);
    expect(pushRun(jb, [4, 12])).toBe(0);
    expect(jb.stats()).toMatchObject({ overlapTrimmed: 1, duplicate: 1 });
  });

  it('drops what lies beyond playhead + capacity and counts datagrams and bytes', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    expect(pushRun(jb, [0, 40])).toBe(32);
    expect(pushRun(jb, [40, 48])).toBe(0);
    expect(jb.stats()).toMatchObject({
      overrunDatagrams: 2,
      overrunBytes: 16,
      highestByte: 32,
      bufferedFrames: 8,
    });
    expect(pull(jb, BPF, 8)).toEqual(pattern(0, 32));
    // Nothing beyond the playhead now: an underrun, the playhead waits at 32.
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(jb.stats()).toMatchObject({ underruns: 1, playheadByte: 32, lostBytes: 0 });
    // The window has moved on: [40, 48) fits now, and the dropped [32, 40) is simply missing.
    expect(pushRun(jb, [40, 48])).toBe(8);
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(jb.concealedRanges()).toEqual([[32, 40]]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(40, 8));
    expect(jb.stats()).toMatchObject({ lostBytes: 8, underruns: 1, playheadByte: 48 });
  });

  it('jumps to the sender after RESYNC_AFTER_RUNS runs in a row land past the buffer', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    pushRun(jb, [0, 32]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    // The receiver stalls while the sender runs on: its window is [8, 40), the runs start at 64.
    const ahead = runs(64, 64 + 8 * RESYNC_AFTER_RUNS, 8);
    for (const run of ahead.slice(0, -1)) expect(pushRun(jb, run)).toBe(0);
    expect(jb.stats()).toMatchObject({ resyncs: 0, overrunDatagrams: RESYNC_AFTER_RUNS - 1 });
    // The last one of the row: everything buffered is dropped, the playhead jumps to it.
    const last = ahead.at(-1)!;
    expect(pushRun(jb, last)).toBe(8);
    expect(jb.state).toBe('priming');
    expect(jb.stats()).toMatchObject({
      resyncs: 1,
      overrunDatagrams: RESYNC_AFTER_RUNS - 1,
      playheadByte: last[0],
      highestByte: last[1],
      // [8, 32) was buffered and is skipped; [32, last[0]) never arrived and is lost.
      skippedFrames: (last[0] - 8) / BPF,
      lostBytes: last[0] - 32,
    });
    expect(jb.concealedRanges()).toEqual([[32, last[0]]]);
    // It plays on from there at the target latency, and what it jumped over is late.
    pushRun(jb, [last[1], last[1] + 8]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(last[0], 8));
    expect(pushRun(jb, ahead[0]!)).toBe(0);
    expect(jb.stats()).toMatchObject({ late: 1, underruns: 0 });
  });

  it('does not resync for fewer runs in a row past the buffer than RESYNC_AFTER_RUNS', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    // A corrupted byte index now and then lands far ahead; the stream in between is sound.
    for (let at = 0; at < 32 * RESYNC_AFTER_RUNS; at += 8) {
      for (let k = 1; k < RESYNC_AFTER_RUNS; k++) pushRun(jb, [1e9 + k * 8, 1e9 + k * 8 + 8]);
      pushRun(jb, [at, at + 8]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(at, 8));
    }
    expect(jb.stats()).toMatchObject({ resyncs: 0, lostBytes: 0, skippedFrames: 0 });
  });

  it('counts the frames played while nothing arrived once the stream had started', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    // Priming before the stream starts is not missing audio: nothing was due yet.
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    pushRun(jb, [0, 8]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(jb.stats()).toMatchObject({ primingFrames: 2, underrunFrames: 0 });
    // The sender goes silent: every frame played from then on never arrived.
    for (let i = 0; i < 5; i++) pull(jb, BPF, 2);
    expect(jb.stats()).toMatchObject({ underruns: 1, primingFrames: 12, underrunFrames: 10 });
    // After an I/O restart the stream starts afresh: its priming is not counted.
    jb.reset();
    pull(jb, BPF, 2);
    expect(jb.stats()).toMatchObject({ primingFrames: 14, underrunFrames: 10 });
  });

  it('counts one underrun when the sender stalls, primes again, and loses nothing', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 4 });
    pushRun(jb, [0, 16]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    expect(jb.stats().underruns).toBe(0);
    // The stall: one underrun, then priming silence; the playhead waits at 16.
    for (let i = 0; i < 3; i++) expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(jb.state).toBe('priming');
    expect(jb.concealedRanges()).toEqual([]);
    expect(jb.stats()).toMatchObject({
      underruns: 1,
      primingFrames: 6,
      underrunFrames: 6,
      lostBytes: 0,
      playheadByte: 16,
      bufferedFrames: 0,
    });
    // Less than the target back: still priming, not another underrun.
    expect(pushRun(jb, [16, 24])).toBe(8);
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    // The target back: the stream plays on where it stopped, nothing late, nothing lost.
    expect(pushRun(jb, [24, 40])).toBe(16);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    expect(jb.state).toBe('playing');
    expect(pull(jb, BPF, 2)).toEqual(pattern(24, 8));
    expect(jb.stats()).toMatchObject({
      underruns: 1,
      primingFrames: 8,
      lostBytes: 0,
      late: 0,
      overlapTrimmed: 0,
      playheadByte: 32,
    });
  });

  /** A concealing buffer (target 2 frames) that has played frames 0 and 1 of a first run. */
  function concealingAfterOnePeriod(): JitterBuffer {
    const jb = new JitterBuffer({
      format: I16_STEREO,
      capacityFrames: 16,
      targetLatencyFrames: 2,
      concealUnderruns: true,
    });
    pushRun(jb, [0, 8]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    return jb;
  }

  it('with concealUnderruns, plays what arrived of a due period, conceals the rest, moves on', () => {
    const jb = new JitterBuffer({
      format: I16_STEREO,
      capacityFrames: 16,
      targetLatencyFrames: 2,
      concealUnderruns: true,
    });
    pushRun(jb, [0, 12]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    // Frames 2 and 3 are due, only byte 8 to 12 (frame 2) has arrived.
    const out = new Uint8Array(8).fill(0xee);
    const missing = new Uint8Array(2);
    const result = { ...jb.pull(out, 0, 2, missing) };
    expect(result).toEqual({ playing: true, underrun: true, concealedBytes: 4, skippedFrames: 0 });
    expect(out).toEqual(expectedPlay(8, 16, [[12, 16]]));
    expect(missing).toEqual(Uint8Array.of(0, 1));
    expect(jb.state).toBe('playing');
    expect(jb.concealedRanges()).toEqual([[12, 16]]);
    expect(jb.stats()).toMatchObject({
      underruns: 1,
      lostBytes: 4,
      playheadByte: 16,
      bufferedFrames: 0,
      underrunFrames: 0,
    });
    // The straggler comes late; what follows plays on at once, no priming.
    expect(pushRun(jb, [12, 16])).toBe(0);
    expect(pushRun(jb, [16, 24])).toBe(8);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    expect(jb.stats()).toMatchObject({ underruns: 1, late: 1, primingFrames: 0 });
  });

  it('with concealUnderruns, conceals a second underrun in a row while runs still arrive past the playhead', () => {
    const jb = concealingAfterOnePeriod();
    // Frames 2 and 3 never come (a lost run, or a late one spanning two periods)...
    expect(jb.pull(new Uint8Array(8), 0, 2)).toMatchObject({ playing: true, underrun: true });
    // ...and frame 4 is here, in time, but not yet frame 5: the sender is still there, so the
    // next underrun is concealed too, no priming.
    pushRun(jb, [16, 20]);
    const out = new Uint8Array(8);
    expect({ ...jb.pull(out, 0, 2) }).toEqual({
      playing: true,
      underrun: true,
      concealedBytes: 4,
      skippedFrames: 0,
    });
    expect(out).toEqual(expectedPlay(16, 24, [[20, 24]]));
    expect(jb.stats()).toMatchObject({ underruns: 2, lostBytes: 12, underrunFrames: 0 });
  });

  it('with concealUnderruns, primes again at a second underrun in a row with nothing past the playhead (the sender fell behind)', () => {
    const jb = concealingAfterOnePeriod();
    // The sender lost a period: the first due period is concealed and played through...
    expect({ ...jb.pull(new Uint8Array(8), 0, 2) }).toEqual({
      playing: true,
      underrun: true,
      concealedBytes: 8,
      skippedFrames: 0,
    });
    // ...its next run is one period behind the playhead: late, and the next due period is an
    // underrun again: silence, the playhead held, priming again.
    expect(pushRun(jb, [8, 16])).toBe(0);
    expect({ ...jb.pull(new Uint8Array(8), 0, 2) }).toEqual({
      playing: false,
      underrun: true,
      concealedBytes: 0,
      skippedFrames: 0,
    });
    expect(jb.state).toBe('priming');
    expect(jb.stats()).toMatchObject({ underruns: 2, lostBytes: 8, late: 1, playheadByte: 16 });
    // The sender's next runs reach the target: it plays on from them, the latency back whole.
    pushRun(jb, [16, 24]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    expect(jb.stats()).toMatchObject({ underruns: 2, playheadByte: 24 });
  });

  it('never drops data from a slower sender: each underrun primes again, then plays on', () => {
    const jb = new JitterBuffer({
      format: I16_STEREO,
      capacityFrames: 512,
      targetLatencyFrames: 96,
    });
    // The sender's clock runs 1 % slow: 32 frames per receiver period, one period in 100 missing.
    const periodFrames = 32;
    const periodBytes = periodFrames * BPF;
    let sent = 0;
    let playedBytes = 0;
    let underrunPulls = 0;
    for (let tick = 0; tick < 2000; tick++) {
      if (tick % 100 !== 99) {
        pushRun(jb, [sent, sent + periodBytes]);
        sent += periodBytes;
      }
      const playhead = jb.stats().playheadByte;
      const out = new Uint8Array(periodBytes);
      const result = jb.pull(out, 0, periodFrames);
      if (result.underrun) underrunPulls++;
      if (result.playing) {
        // Every played period is the stream where it stopped: nothing skipped, nothing concealed.
        expect(out).toEqual(pattern(playhead, periodBytes));
        playedBytes += periodBytes;
      } else {
        expect(out).toEqual(new Uint8Array(periodBytes));
      }
      expect(jb.stats().bufferedFrames).toBeLessThanOrEqual(96);
    }
    const stats = jb.stats();
    expect(underrunPulls).toBe(stats.underruns);
    // Playing holds 3 periods buffered before a pull, so every third missing period (ticks 299,
    // 599, …, 1799) finds its period not there: an underrun, then 3 periods of priming.
    expect(stats.underruns).toBe(6);
    expect(stats).toMatchObject({
      playheadByte: playedBytes,
      lostBytes: 0,
      late: 0,
      duplicate: 0,
      overrunDatagrams: 0,
      skippedFrames: 0,
      receivedBytes: sent,
      highestByte: sent,
    });
    expect(jb.concealedRanges()).toEqual([]);
    // Silence: the first priming (2 periods) and each underrun's period and re-priming.
    expect(stats.primingFrames).toBe((2 + 6 * 3) * periodFrames);
    expect(stats.primingFrames).toBe(2000 * periodFrames - playedBytes / BPF);
  });

  it("skips a faster sender's surplus back down to the target, and plays the rest intact", () => {
    const fmt = makeFormat({ sampleType: 'i16', channels: 2, sampleRate: 8000, bufferFrames: 0 });
    const target = 64;
    const jb = new JitterBuffer({ format: fmt, capacityFrames: 1024, targetLatencyFrames: target });
    const periodFrames = 32;
    // A window is 4,000 frames (125 periods): the sender gets 125 / 20 periods ahead in one.
    const growth = Math.ceil(8000 * SLIP_WINDOW_SECONDS) / 20;
    const periodBytes = periodFrames * BPF;
    // The sender's clock runs 5 % fast: an extra period every 20, up to tick 1890; then the
    // clocks agree.
    let sent = 0;
    let skippedBytes = 0;
    let maxBuffered = 0;
    const skips: number[] = [];
    for (let tick = 0; tick < 2200; tick++) {
      for (let n = tick < 1890 && tick % 20 === 19 ? 2 : 1; n > 0; n--) {
        pushRun(jb, [sent, sent + periodBytes]);
        sent += periodBytes;
      }
      const playhead = jb.stats().playheadByte;
      const out = new Uint8Array(periodBytes);
      const result = jb.pull(out, 0, periodFrames);
      if (tick === 0) continue; // priming ends at tick 1, with 2 periods buffered
      const skipped = jb.stats().playheadByte - (playhead + periodBytes);
      expect(result).toEqual({
        playing: true,
        concealedBytes: 0,
        underrun: false,
        skippedFrames: skipped / BPF,
      });
      expect(out).toEqual(pattern(playhead, periodBytes));
      if (skipped > 0) skips.push(skipped / BPF);
      skippedBytes += skipped;
      maxBuffered = Math.max(maxBuffered, jb.stats().bufferedFrames);
    }
    const stats = jb.stats();
    // Left alone the surplus would reach 94 periods (3,008 frames) and overrun the capacity.
    expect(stats.skippedFrames).toBeGreaterThan(0);
    expect(stats.skippedFrames * BPF).toBe(skippedBytes);
    // A window whose lowest fill stayed at or below the target skips nothing, and the next one
    // skips only at its end: the fill never goes beyond the target plus two windows' growth (and
    // a period).
    expect(maxBuffered).toBeGreaterThan(target + growth);
    expect(maxBuffered).toBeLessThanOrEqual(target + 2 * growth + periodFrames);
    // The window ending at tick 2000 saw one extra period (tick 1879) after its lowest fill: it
    // skips down to the target plus that period. The next window's lowest fill is that period
    // above the target, a surplus smaller than the target, skipped all the same: the fill stays
    // at the target from then on.
    expect(skips.slice(-2)).toEqual([192, periodFrames]);
    expect(stats.bufferedFrames).toBe(target);
    expect(stats).toMatchObject({
      lostBytes: 0,
      underruns: 0,
      overrunDatagrams: 0,
      primingFrames: periodFrames,
      receivedBytes: sent,
    });
    // Every byte was played or skipped, nothing concealed.
    expect(stats.playheadByte).toBe(2199 * periodBytes + skippedBytes);
    expect(jb.concealedRanges()).toEqual([]);
  });

  it('records the missing bytes of a skipped span as concealed and lost', () => {
    const jb = slipWindowBuffer();
    pushRun(jb, [0, 8]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    pushRun(jb, [8, 16]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    // A faster sender: 64 bytes arrive, the [36, 40) among them lost.
    pushRun(jb, [16, 36]);
    pushRun(jb, [40, 80]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    // The window's lowest fill: 48 bytes after this pull, above the 8-byte target the stream
    // started with. The playhead skips 40 bytes, down to the target: [32, 72), gap included.
    const result = jb.pull(new Uint8Array(8), 0, 2);
    expect(result).toEqual({
      playing: true,
      concealedBytes: 0,
      underrun: false,
      skippedFrames: 10,
    });
    expect(jb.concealedRanges()).toEqual([[36, 40]]);
    expect(jb.stats()).toMatchObject({
      skippedFrames: 10,
      lostBytes: 4,
      lostFrames: 1,
      playheadByte: 72,
      bufferedFrames: 2,
    });
    expect(pull(jb, BPF, 2)).toEqual(pattern(72, 8));
    // The gap's bytes arriving now are late; skipped bytes that had arrived are duplicates.
    expect(pushRun(jb, [36, 40])).toBe(0);
    expect(pushRun(jb, [44, 48])).toBe(0);
    expect(jb.stats()).toMatchObject({ late: 1, duplicate: 1, skippedFrames: 10 });
  });

  it('does not take a device running late for a faster sender', () => {
    const skipped = (lateFrames: number): number => {
      const jb = slipWindowBuffer();
      pushRun(jb, [0, 8]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
      pushRun(jb, [8, 16]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
      // The device's callbacks now come 4 frames late: 16 more bytes have arrived by each pull.
      jb.lateFrames = lateFrames;
      pushRun(jb, [16, 40]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
      pushRun(jb, [40, 48]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(24, 8));
      return jb.stats().skippedFrames;
    };
    // Told how late it runs, the buffer sees the fill of an on-time pull: nothing to skip.
    expect(skipped(4)).toBe(0);
    expect(skipped(0)).toBe(2);
    expect(() => {
      slipWindowBuffer().lateFrames = -1;
    }).toThrow(/late frames must be a whole number ≥ 0, got -1/);
  });

  it('skips only what grows past the fill playback started with, watched over whole windows', () => {
    const jb = slipWindowBuffer();
    pushRun(jb, [0, 48]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    jb.reset();
    // Playback starts with 40 bytes left after its first pull, far above the 8-byte target: a
    // burst, not a faster clock. That is the latency the stream has; none of it is skipped.
    pushRun(jb, [0, 48]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    expect(jb.stats()).toMatchObject({ skippedFrames: 0, playheadByte: 16, bufferedFrames: 8 });
    // As much arrives as plays: the lowest fill, 32 bytes, stays under the 40 it started with.
    pushRun(jb, [48, 64]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(24, 8));
    expect(jb.stats()).toMatchObject({ skippedFrames: 0, playheadByte: 32 });
    // A faster sender: 12 bytes more than plays over a window. Lowest fill 44 bytes, skip 4.
    pushRun(jb, [64, 92]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(32, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(40, 8));
    expect(jb.stats()).toMatchObject({ skippedFrames: 1, playheadByte: 52, bufferedFrames: 10 });
    expect(pull(jb, BPF, 2)).toEqual(pattern(52, 8));
  });

  it("skips a stalled sender's burst once it has primed again, back down to the target", () => {
    const jb = slipWindowBuffer();
    pushRun(jb, [0, 16]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    // The sender stalls: an underrun, and the buffer primes again.
    expect(jb.pull(new Uint8Array(8), 0, 2)).toMatchObject({ playing: false, underrun: true });
    // It resumes with what it owes at once: playback starts 4 frames above the 2-frame target.
    pushRun(jb, [16, 48]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(16, 8));
    // A window later the surplus is gone: 2 frames skipped, the fill back at the target.
    expect(pull(jb, BPF, 2)).toEqual(pattern(24, 8));
    expect(jb.stats()).toMatchObject({ skippedFrames: 2, playheadByte: 40, bufferedFrames: 2 });
    expect(pull(jb, BPF, 2)).toEqual(pattern(40, 8));
  });

  it.each<[SampleType, string]>([
    ['u8', '80 80'],
    ['u16', '00 80 00 80'],
    ['u24', '00 00 80 00 00 80'],
    ['u32', '00 00 00 80 00 00 00 80'],
    ['u64', '00 00 00 00 00 00 00 80 00 00 00 00 00 00 00 80'],
    ['i8', '00 00'],
    ['i24', '00 00 00 00 00 00'],
    ['i64', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['f32', '00 00 00 00 00 00 00 00'],
    ['f64', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
  ])('plays %s silence as the format zero in wire bytes', (sampleType, silentFrame) => {
    const fmt = format(sampleType, 2);
    const bpf = bytesPerFrame(fmt);
    const jb = new JitterBuffer({ format: fmt, capacityFrames: 8, targetLatencyFrames: 1 });
    const frame = hex(silentFrame);
    expect(pull(jb, bpf, 2)).toEqual(Uint8Array.of(...frame, ...frame));
    // Concealment after priming: frame 0 missing, frame 1 present.
    pushRun(jb, [bpf, 2 * bpf]);
    expect(pull(jb, bpf, 2)).toEqual(Uint8Array.of(...frame, ...pattern(bpf, bpf)));
  });

  it('conceals missing bytes inside a frame with the silent bytes of their position', () => {
    const jb = new JitterBuffer({
      format: format('u16', 2),
      capacityFrames: 8,
      targetLatencyFrames: 2,
    });
    pushRun(jb, [0, 2]);
    pushRun(jb, [4, 8]);
    const [a, b] = pattern(0, 2);
    expect(pull(jb, BPF, 2)).toEqual(Uint8Array.of(a!, b!, 0x00, 0x80, ...pattern(4, 4)));
    expect(jb.concealedRanges()).toEqual([[2, 4]]);
    expect(jb.stats()).toMatchObject({ lostBytes: 2, lostFrames: 0 });
  });

  it('reassembles runs cut inside frames and samples, in any order', () => {
    // i24 stereo: 6-byte frames; 7-byte runs start and end mid-sample.
    const fmt = format('i24', 2);
    const jb = new JitterBuffer({ format: fmt, capacityFrames: 20, targetLatencyFrames: 10 });
    const pieces = runs(0, 60, 7);
    for (const k of [3, 0, 8, 5, 1, 7, 2, 4, 6]) pushRun(jb, pieces[k]!);
    expect(pull(jb, 6, 10)).toEqual(pattern(0, 60));
    expect(jb.stats()).toMatchObject({ lostBytes: 0, datagrams: 9, receivedBytes: 60 });
  });

  it('wraps around its ring many times without mixing up old and new bytes', () => {
    // Capacity 3 frames (12 bytes) against 8-byte periods: slots shift every lap.
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 3, targetLatencyFrames: 1 });
    for (let tick = 0; tick < 100; tick++) {
      pushRun(jb, [tick * 8, tick * 8 + 8]);
      expect(pull(jb, BPF, 2)).toEqual(pattern(tick * 8, 8));
    }
    expect(jb.stats()).toMatchObject({ lostBytes: 0, overrunDatagrams: 0, underruns: 0 });
  });

  it('starts over at byte 0 after reset(), priming again, with counters kept', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    pushRun(jb, [0, 4]);
    pushRun(jb, [8, 16]);
    pull(jb, BPF, 2);
    pushRun(jb, [16, 20]);
    jb.reset();
    expect(jb.state).toBe('priming');
    expect(jb.concealedRanges()).toEqual([]);
    expect(jb.stats()).toMatchObject({
      playheadByte: 0,
      highestByte: 0,
      bufferedFrames: 0,
      lostBytes: 4,
      primingFrames: 0,
    });
    // Nothing from before the restart survives: [16, 20) was buffered but is gone.
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(pushRun(jb, [0, 8])).toBe(8);
    expect(pushRun(jb, [8, 16])).toBe(8);
    expect(pull(jb, BPF, 4)).toEqual(pattern(0, 16));
    expect(jb.stats()).toMatchObject({ late: 0, duplicate: 0, lostBytes: 4, primingFrames: 2 });
  });

  it('primes to the current target latency when it changes', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    jb.targetLatencyFrames = 4;
    pushRun(jb, [0, 8]);
    expect(pull(jb, BPF, 1)).toEqual(new Uint8Array(4));
    expect(jb.state).toBe('priming');
    jb.targetLatencyFrames = 2;
    expect(pull(jb, BPF, 1)).toEqual(pattern(0, 4));
    // Raising it while playing moves nothing: the playhead keeps to the clock.
    jb.targetLatencyFrames = 4;
    expect(pull(jb, BPF, 1)).toEqual(pattern(4, 4));
    expect(jb.stats()).toMatchObject({ targetLatencyFrames: 4, playheadByte: 8 });
    expect(() => (jb.targetLatencyFrames = 5)).toThrow(
      expect.objectContaining({ name: 'JitterBufferError', code: 'BAD_TARGET_LATENCY' }),
    );
  });

  it('remembers the last CONCEALED_RANGE_HISTORY ranges; a run older than that is late', () => {
    // u8 mono: one byte per frame. Every even byte is lost (the odd one ends each 2-byte
    // period, so it plays rather than underruns): one range per pull.
    const jb = new JitterBuffer({
      format: format('u8', 1),
      capacityFrames: 4,
      targetLatencyFrames: 1,
    });
    const pulls = CONCEALED_RANGE_HISTORY + 100;
    for (let k = 0; k < pulls; k++) {
      pushRun(jb, [2 * k + 1, 2 * k + 2]);
      pull(jb, 1, 2);
    }
    expect(jb.stats()).toMatchObject({ lostBytes: pulls, underruns: 0, primingFrames: 0 });
    const ranges = jb.concealedRanges();
    expect(ranges).toHaveLength(CONCEALED_RANGE_HISTORY);
    expect(ranges[0]).toEqual([2 * 100, 2 * 100 + 1]);
    expect(ranges.at(-1)).toEqual([2 * pulls - 2, 2 * pulls - 1]);
    // Within the history, classification is exact.
    pushRun(jb, [2 * 500 + 1, 2 * 500 + 2]);
    expect(jb.stats()).toMatchObject({ duplicate: 1, late: 0 });
    pushRun(jb, [2 * 500, 2 * 500 + 1]);
    expect(jb.stats()).toMatchObject({ duplicate: 1, late: 1 });
    // Before it, unknown: counted as late, even for a byte that was in fact received.
    pushRun(jb, [1, 2]);
    expect(jb.stats()).toMatchObject({ duplicate: 1, late: 2 });
  });

  it.each([
    [{ capacityFrames: 15, targetLatencyFrames: 8 }, 'BAD_CAPACITY'],
    [{ capacityFrames: 16.5, targetLatencyFrames: 8 }, 'BAD_CAPACITY'],
    [{ capacityFrames: 16, targetLatencyFrames: 0 }, 'BAD_TARGET_LATENCY'],
    [{ capacityFrames: 16, targetLatencyFrames: 1.5 }, 'BAD_TARGET_LATENCY'],
    [{ capacityFrames: 16, targetLatencyFrames: NaN }, 'BAD_TARGET_LATENCY'],
  ])('rejects %o with %s', (sizes, code) => {
    expect(() => new JitterBuffer({ format: STANDARD_FORMAT, ...sizes })).toThrow(
      expect.objectContaining({ name: 'JitterBufferError', code }),
    );
  });

  it('rejects an invalid format', () => {
    expect(
      () =>
        new JitterBuffer({
          format: { ...STANDARD_FORMAT, sampleType: 'f16' as SampleType },
          capacityFrames: 16,
          targetLatencyFrames: 8,
        }),
    ).toThrow(expect.objectContaining({ name: 'ValueError', code: 'BAD_SAMPLE_TYPE' }));
  });

  it('rejects bad byte indices and buffer ranges', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    for (const byteIndex of [-1, 0.5, 2 ** 53]) {
      expect(() => jb.push(byteIndex, new Uint8Array(4), 0, 4)).toThrow(
        expect.objectContaining({ name: 'JitterBufferError', code: 'BAD_BYTE_INDEX' }),
      );
    }
    expect(() => jb.push(0, new Uint8Array(4), 2, 4)).toThrow(BoundsError);
    expect(() => jb.pull(new Uint8Array(8), 0, 3)).toThrow(BoundsError);
    expect(() => jb.pull(new Uint8Array(8), 0, 0.5)).toThrow(BoundsError);
    expect(() => jb.pull(new Uint8Array(8), 0, -1)).toThrow(BoundsError);
    expect(jb.stats().datagrams).toBe(0);
  });
});

type Fate =
  | { readonly kind: 'ok'; readonly delay: number; readonly order: number }
  | { readonly kind: 'drop' }
  | {
      readonly kind: 'dup';
      readonly delay: number;
      readonly order: number;
      readonly copyDelay: number;
      readonly copyOrder: number;
    }
  | { readonly kind: 'late'; readonly delay: number; readonly order: number };

interface Sent {
  readonly period: number;
  readonly start: number;
  readonly end: number;
  readonly datagram: Uint8Array;
}

/**
 * `periods` periods of a stream, packetized; period p is sent at tick p, and the receiver pulls
 * one period per tick and wants `windowPeriods` periods buffered. Priming can end at tick
 * windowPeriods − 1 at the earliest, and an underrun only ever makes a period due later, so a
 * datagram delayed fewer than windowPeriods ticks is always in time: only a dropped one, one held
 * back longer, one beyond the capacity or one a resync jumped over can be lost. A resync moves
 * the playhead off period boundaries, so the model follows every byte.
 */
const scenario = fc
  .record({
    sampleType: fc.constantFrom(...SAMPLE_TYPES),
    channels: fc.integer({ min: 1, max: 4 }),
    periodFrames: fc.integer({ min: 1, max: 32 }),
    windowPeriods: fc.integer({ min: 1, max: 4 }),
    extraPeriods: fc.integer({ min: 0, max: 16 }),
    payloadRoomBytes: fc.integer({ min: 1, max: 300 }),
    extraCapacityPeriods: fc.integer({ min: 0, max: 3 }),
  })
  .chain((params) => {
    const fmt = format(params.sampleType, params.channels);
    const bpf = bytesPerFrame(fmt);
    const periodBytes = params.periodFrames * bpf;
    // Keeps runs short: at most 32 datagrams per period.
    const room = Math.max(params.payloadRoomBytes, Math.ceil(periodBytes / 32));
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: fmt,
      datagramBudgetBytes: AUDIO_HEADER_BYTES + room,
    });
    const periods = params.windowPeriods + params.extraPeriods;
    const header = createAudioHeader();
    const sent: Sent[] = [];
    for (let period = 0; period < periods; period++) {
      const bytes = pattern(period * periodBytes, periodBytes);
      packetizer.packetize(bytes, 0, periodBytes, {
        claim: (length) => new Uint8Array(length),
        send: (datagram, length) => {
          readAudioHeader(datagram, header, 0, length);
          sent.push({
            period,
            start: header.byteIndex,
            end: header.byteIndex + header.byteCount,
            datagram,
          });
        },
      });
    }
    const w = params.windowPeriods;
    const inTime = fc.integer({ min: 0, max: w - 1 });
    const fate: fc.Arbitrary<Fate> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({ kind: fc.constant('ok' as const), delay: inTime, order: fc.nat() }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('dup' as const),
          delay: inTime,
          order: fc.nat(),
          copyDelay: fc.integer({ min: 0, max: w + 2 }),
          copyOrder: fc.nat(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('late' as const),
          delay: fc.integer({ min: w, max: w + 2 }),
          order: fc.nat(),
        }),
      },
    );
    return fc.record({
      params: fc.constant({ ...params, fmt, bpf, periodBytes, periods }),
      sent: fc.constant(sent),
      fates: fc.array(fate, { minLength: sent.length, maxLength: sent.length }),
    });
  });

describe('StreamPacketizer → JitterBuffer', () => {
  it('delivers every byte that was not dropped or late, and counts exactly what was injected', () => {
    fc.assert(
      fc.property(scenario, ({ params, sent, fates }) => {
        const { fmt, bpf, periodFrames, periodBytes, periods, windowPeriods: w } = params;
        const capacityBytes = (2 * w + params.extraCapacityPeriods) * periodBytes;
        const targetBytes = w * periodBytes;
        const jb = new JitterBuffer({
          format: fmt,
          capacityFrames: capacityBytes / bpf,
          targetLatencyFrames: w * periodFrames,
        });
        // The last datagram of period w − 1 arrives on time: most runs start playing at tick w − 1.
        const anchor = sent.findLastIndex((d) => d.period === w - 1);
        const fateOf = (k: number): Fate =>
          k === anchor ? { kind: 'ok', delay: 0, order: 0 } : fates[k]!;

        // Arrivals (datagram indices) per tick, in the order they are pushed.
        const arrivals = new Map<number, Array<{ order: number; k: number }>>();
        let lastArrival = 0;
        const arrive = (tick: number, order: number, k: number): void => {
          const list = arrivals.get(tick) ?? [];
          list.push({ order, k });
          arrivals.set(tick, list);
          lastArrival = Math.max(lastArrival, tick);
        };
        sent.forEach((d, k) => {
          const f = fateOf(k);
          if (f.kind === 'drop') return;
          arrive(d.period + f.delay, f.order, k);
          if (f.kind === 'dup') arrive(d.period + f.copyDelay, f.copyOrder, k);
        });
        const byPeriod: number[][] = Array.from({ length: periods }, () => []);
        sent.forEach((d, k) => byPeriod[d.period]!.push(k));

        // The model, byte by byte: what becomes of each datagram copy, and of each byte.
        const MISSING = 0;
        const BUFFERED = 1;
        const PLAYED = 2;
        const CONCEALED = 3;
        const JUMPED = 4;
        const totalBytes = sent.at(-1)!.end;
        const state = new Uint8Array(totalBytes);
        /** Bytes a resync jumped over before they arrived (concealed without being played). */
        const jumpedMissing = new Uint8Array(totalBytes);
        const overrun = new Set<number>();
        const counts = {
          datagrams: 0,
          receivedBytes: 0,
          late: 0,
          duplicate: 0,
          overlapTrimmed: 0,
          overrunDatagrams: 0,
          overrunBytes: 0,
          underruns: 0,
          primingFrames: 0,
          underrunFrames: 0,
          skippedFrames: 0,
          resyncs: 0,
        };
        let started = false;
        let playhead = 0;
        let highest = 0;
        let priming = true;
        let runsPastWindow = 0;
        let lostBytes = 0;
        const lost: Range[] = [];
        const conceal = (b: number): void => {
          state[b] = CONCEALED;
          lostBytes++;
          const last = lost.at(-1);
          if (last !== undefined && last[1] === b) last[1] = b + 1;
          else lost.push([b, b + 1]);
        };
        const resync = (to: number): void => {
          for (let b = playhead; b < to; b++) {
            if (state[b] === BUFFERED) {
              state[b] = JUMPED;
            } else {
              conceal(b);
              jumpedMissing[b] = 1;
            }
          }
          counts.skippedFrames += (to - playhead) / bpf;
          counts.resyncs++;
          playhead = highest = to;
          priming = true;
        };

        const header = createAudioHeader();
        const deliver = (tick: number): void => {
          const list = (arrivals.get(tick) ?? []).sort((a, b) => a.order - b.order);
          for (const { k } of list) {
            const d = sent[k]!;
            readAudioHeader(d.datagram, header);
            jb.push(header.byteIndex, d.datagram, header.payloadOffset, header.byteCount);
            counts.datagrams++;
            if (d.end <= playhead) {
              if (state.subarray(d.start, d.end).includes(CONCEALED)) counts.late++;
              else counts.duplicate++;
              continue;
            }
            if (d.start >= playhead + capacityBytes) {
              if (++runsPastWindow < RESYNC_AFTER_RUNS) {
                counts.overrunDatagrams++;
                counts.overrunBytes += d.end - d.start;
                overrun.add(k);
                continue;
              }
              resync(Math.floor(d.start / bpf) * bpf);
            }
            runsPastWindow = 0;
            const start = Math.max(d.start, playhead);
            if (start > d.start) counts.overlapTrimmed++;
            const end = Math.min(d.end, playhead + capacityBytes);
            if (end < d.end) {
              counts.overrunDatagrams++;
              counts.overrunBytes += d.end - end;
              overrun.add(k);
            }
            let stored = 0;
            for (let b = start; b < end; b++) {
              if (state[b] === MISSING) {
                state[b] = BUFFERED;
                stored++;
              }
            }
            if (stored === 0) counts.duplicate++;
            counts.receivedBytes += stored;
            highest = Math.max(highest, end);
          }
        };

        let concealedBytes = 0;
        // Once nothing more arrives and a pull does not play, no later pull will.
        for (let tick = 0, playing = true; tick <= lastArrival || playing; tick++) {
          deliver(tick);
          let expected: PullResult;
          const expectedOut = new Uint8Array(periodBytes);
          if (priming && highest - playhead < targetBytes) {
            expected = { playing: false, concealedBytes: 0, underrun: false, skippedFrames: 0 };
          } else if (highest < playhead + periodBytes) {
            counts.underruns++;
            priming = true;
            expected = { playing: false, concealedBytes: 0, underrun: true, skippedFrames: 0 };
          } else {
            priming = false;
            const before = lostBytes;
            const bytes = pattern(playhead, periodBytes);
            for (let i = 0; i < periodBytes; i++) {
              const b = playhead + i;
              if (state[b] === BUFFERED) {
                state[b] = PLAYED;
                expectedOut[i] = bytes[i]!;
              } else {
                conceal(b);
                expectedOut[i] = silence(fmt, b % bpf);
              }
            }
            playhead += periodBytes;
            expected = {
              playing: true,
              concealedBytes: lostBytes - before,
              underrun: false,
              skippedFrames: 0,
            };
          }
          if (expected.playing) started = true;
          else {
            counts.primingFrames += periodFrames;
            if (started) counts.underrunFrames += periodFrames;
            for (let i = 0; i < periodBytes; i++) expectedOut[i] = silence(fmt, i % bpf);
          }
          const out = new Uint8Array(periodBytes);
          expect(jb.pull(out, 0, periodFrames)).toEqual(expected);
          expect(out).toEqual(expectedOut);
          concealedBytes += expected.concealedBytes;
          playing = expected.playing;
        }

        // Only a dropped datagram, a late one, one that met a full buffer or one a resync jumped
        // over before it arrived is ever lost.
        sent.forEach((d, k) => {
          if (state.subarray(d.start, d.end).includes(CONCEALED)) {
            const { kind } = fateOf(k);
            const jumped = jumpedMissing.subarray(d.start, d.end).includes(1);
            expect(kind === 'drop' || kind === 'late' || overrun.has(k) || jumped).toBe(true);
          }
        });

        expect(jb.concealedRanges()).toEqual(lost.slice(-CONCEALED_RANGE_HISTORY));
        expect(jb.stats()).toEqual({
          ...counts,
          lostBytes,
          lostFrames: Math.floor(lostBytes / bpf),
          bufferedFrames: Math.floor(Math.max(0, highest - playhead) / bpf),
          targetLatencyFrames: w * periodFrames,
          playheadByte: playhead,
          highestByte: highest,
        });
        expect(concealedBytes + jumpedMissing.reduce((sum, b) => sum + b, 0)).toBe(lostBytes);
      }),
    );
  });
});

/** The format's zero at byte `phase` of a frame: 0x80 in the top byte of an unsigned sample. */
function silence(fmt: Format, phase: number): number {
  const bytes = bytesPerFrame(fmt) / fmt.channels;
  return fmt.sampleType.startsWith('u') && phase % bytes === bytes - 1 ? 0x80 : 0;
}
