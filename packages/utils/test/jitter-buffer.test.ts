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
import { CONCEALED_RANGE_HISTORY, JitterBuffer } from '../src/jitter-buffer.js';
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
      bufferedFrames: 4,
      targetLatencyFrames: 8,
      playheadByte: 11 * periodBytes,
      highestByte: 12 * periodBytes,
    });
    expect(jb.concealedRanges()).toEqual([]);
  });

  it('conceals exactly the byte ranges of the dropped datagrams and counts them as lost', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 16, targetLatencyFrames: 4 });
    // 8 periods of 4 frames, two datagrams of 2 frames (8 bytes) each.
    const datagrams = runs(0, 8 * 16, 8);
    const dropped = new Set([3, 4, 9, 15]);
    const played: Uint8Array[] = [];
    for (let tick = 0; tick < 8; tick++) {
      for (const k of [2 * tick, 2 * tick + 1]) if (!dropped.has(k)) pushRun(jb, datagrams[k]!);
      played.push(pull(jb, BPF, 4));
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
      receivedBytes: 96,
      datagrams: 12,
    });
  });

  it('reports per pull whether it played, what it concealed and whether it underran', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 2 });
    const out = new Uint8Array(8);
    expect(jb.pull(out, 0, 2)).toEqual({ playing: false, concealedBytes: 0, underrun: false });
    pushRun(jb, [0, 4]);
    pushRun(jb, [6, 8]);
    expect(jb.pull(out, 0, 2)).toEqual({ playing: true, concealedBytes: 2, underrun: false });
    expect(jb.pull(out, 0, 2)).toEqual({ playing: true, concealedBytes: 8, underrun: true });
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
    pull(jb, BPF, 2);
    expect(pushRun(jb, [4, 8])).toBe(0);
    expect(jb.stats()).toMatchObject({ late: 1, duplicate: 0 });
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
    // Once played, the window moves on: the dropped bytes are now simply missing.
    expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(jb.concealedRanges()).toEqual([[32, 40]]);
    expect(pushRun(jb, [40, 48])).toBe(8);
    expect(pull(jb, BPF, 2)).toEqual(pattern(40, 8));
  });

  it('counts an underrun per pull once the sender stops, and keeps the clock going', () => {
    const jb = new JitterBuffer({ format: I16_STEREO, capacityFrames: 8, targetLatencyFrames: 4 });
    pushRun(jb, [0, 16]);
    expect(pull(jb, BPF, 2)).toEqual(pattern(0, 8));
    expect(pull(jb, BPF, 2)).toEqual(pattern(8, 8));
    expect(jb.stats().underruns).toBe(0);
    for (let i = 0; i < 3; i++) expect(pull(jb, BPF, 2)).toEqual(new Uint8Array(8));
    expect(jb.state).toBe('playing');
    expect(jb.concealedRanges()).toEqual([[16, 40]]);
    expect(jb.stats()).toMatchObject({
      underruns: 3,
      lostBytes: 24,
      lostFrames: 6,
      playheadByte: 40,
      bufferedFrames: 0,
    });
    // The sender coming back: what was due is late, the rest plays.
    expect(pushRun(jb, [32, 48])).toBe(8);
    expect(jb.stats().overlapTrimmed).toBe(1);
    expect(pull(jb, BPF, 2)).toEqual(pattern(40, 8));
    expect(jb.stats().underruns).toBe(3);
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
    // u8 mono: one byte per frame. Every odd byte is lost: one range per pull.
    const jb = new JitterBuffer({
      format: format('u8', 1),
      capacityFrames: 4,
      targetLatencyFrames: 1,
    });
    const pulls = CONCEALED_RANGE_HISTORY + 100;
    for (let k = 0; k < pulls; k++) {
      pushRun(jb, [2 * k, 2 * k + 1]);
      pull(jb, 1, 2);
    }
    const ranges = jb.concealedRanges();
    expect(ranges).toHaveLength(CONCEALED_RANGE_HISTORY);
    expect(ranges[0]).toEqual([2 * 100 + 1, 2 * 100 + 2]);
    expect(ranges.at(-1)).toEqual([2 * pulls - 1, 2 * pulls]);
    // Within the history, classification is exact.
    pushRun(jb, [2 * 500, 2 * 500 + 1]);
    expect(jb.stats()).toMatchObject({ duplicate: 1, late: 0 });
    pushRun(jb, [2 * 500 + 1, 2 * 500 + 2]);
    expect(jb.stats()).toMatchObject({ duplicate: 1, late: 1 });
    // Before it, unknown: counted as late, even for a byte that was in fact received.
    pushRun(jb, [0, 1]);
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
 * `periods` periods of a stream, packetized; the receiver pulls one period per tick and wants
 * `windowPeriods` periods buffered. The last datagram of period windowPeriods − 1 always arrives
 * on time, so priming ends exactly at that tick and period p plays at tick p + windowPeriods − 1:
 * a delay of fewer than windowPeriods ticks is in time, a longer one is late.
 */
const scenario = fc
  .record({
    sampleType: fc.constantFrom(...SAMPLE_TYPES),
    channels: fc.integer({ min: 1, max: 4 }),
    periodFrames: fc.integer({ min: 1, max: 32 }),
    windowPeriods: fc.integer({ min: 1, max: 4 }),
    extraPeriods: fc.integer({ min: 0, max: 16 }),
    payloadRoomBytes: fc.integer({ min: 1, max: 300 }),
    extraCapacityFrames: fc.integer({ min: 0, max: 64 }),
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
      packetizer.packetize(bytes, 0, periodBytes, (datagram, length) => {
        readAudioHeader(datagram, header, 0, length);
        sent.push({
          period,
          start: header.byteIndex,
          end: header.byteIndex + header.byteCount,
          datagram: datagram.slice(0, length),
        });
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
        const jb = new JitterBuffer({
          format: fmt,
          capacityFrames: 2 * w * periodFrames + params.extraCapacityFrames,
          targetLatencyFrames: w * periodFrames,
        });
        const lastTick = periods + w - 2;
        const anchor = sent.findLastIndex((d) => d.period === w - 1);

        // Arrivals per tick (ticks past the last pull are delivered after it), and expectations.
        const arrivals = new Map<number, Array<{ order: number; datagram: Uint8Array }>>();
        const arrive = (tick: number, order: number, d: Sent): void => {
          const at = Math.min(tick, lastTick + 1);
          const list = arrivals.get(at) ?? [];
          list.push({ order, datagram: d.datagram });
          arrivals.set(at, list);
        };
        const lost: Range[] = [];
        let late = 0;
        let duplicate = 0;
        let pushes = 0;
        sent.forEach((d, k) => {
          const f: Fate = k === anchor ? { kind: 'ok', delay: 0, order: 0 } : fates[k]!;
          if (f.kind === 'drop' || f.kind === 'late') lost.push([d.start, d.end]);
          if (f.kind === 'drop') return;
          arrive(d.period + f.delay, f.order, d);
          pushes++;
          if (f.kind === 'late') late++;
          if (f.kind === 'dup') {
            arrive(d.period + f.copyDelay, f.copyOrder, d);
            pushes++;
            duplicate++;
          }
        });

        const header = createAudioHeader();
        let highest = 0;
        // Runs that end before the playhead are dropped and never raise the highest byte.
        const deliver = (tick: number, playhead: number): void => {
          const list = (arrivals.get(tick) ?? []).sort((a, b) => a.order - b.order);
          for (const { datagram } of list) {
            readAudioHeader(datagram, header);
            jb.push(header.byteIndex, datagram, header.payloadOffset, header.byteCount);
            const end = header.byteIndex + header.byteCount;
            if (end > playhead) highest = Math.max(highest, end);
          }
        };

        const played: Uint8Array[] = [];
        let underruns = 0;
        let concealedBytes = 0;
        for (let tick = 0; tick <= lastTick; tick++) {
          const playhead = Math.max(0, tick - w + 1) * periodBytes;
          deliver(tick, playhead);
          const out = new Uint8Array(periodBytes);
          if (tick >= w - 1 && highest <= playhead) underruns++;
          const result = jb.pull(out, 0, periodFrames);
          expect(result.playing).toBe(tick >= w - 1);
          if (result.playing) played.push(out);
          concealedBytes += result.concealedBytes;
        }
        const streamBytes = periods * periodBytes;
        deliver(lastTick + 1, streamBytes);

        const merged: Range[] = [];
        for (const [s, e] of lost) {
          const last = merged.at(-1);
          if (last !== undefined && last[1] === s) last[1] = e;
          else merged.push([s, e]);
        }
        const lostBytes = lost.reduce((sum, [s, e]) => sum + e - s, 0);

        const expected = pattern(0, streamBytes);
        for (const [s, e] of merged)
          for (let b = s; b < e; b++) expected[b] = silence(fmt, b % bpf);
        expect(Buffer.concat(played)).toEqual(Buffer.from(expected));
        expect(jb.concealedRanges()).toEqual(merged.slice(-CONCEALED_RANGE_HISTORY));
        expect(concealedBytes).toBe(lostBytes);
        expect(jb.stats()).toEqual({
          receivedBytes: streamBytes - lostBytes,
          datagrams: pushes,
          lostBytes,
          lostFrames: Math.floor(lostBytes / bpf),
          late,
          duplicate,
          overlapTrimmed: 0,
          overrunDatagrams: 0,
          overrunBytes: 0,
          underruns,
          primingFrames: (w - 1) * periodFrames,
          bufferedFrames: 0,
          targetLatencyFrames: w * periodFrames,
          playheadByte: streamBytes,
          highestByte: highest,
        });
      }),
    );
  });
});

/** The format's zero at byte `phase` of a frame: 0x80 in the top byte of an unsigned sample. */
function silence(fmt: Format, phase: number): number {
  const bytes = bytesPerFrame(fmt) / fmt.channels;
  return fmt.sampleType.startsWith('u') && phase % bytes === bytes - 1 ? 0x80 : 0;
}
