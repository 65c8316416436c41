import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_REDUNDANCY_PERIODS,
  SAMPLE_TYPES,
  SEALED_AUDIO_HEADER_BYTES,
  SEALED_AUDIO_TAG_CODE,
  STANDARD_FORMAT,
  bytesPerFrame,
  createAudioHeader,
  createSealedAudioHeader,
  makeFormat,
  openAudio,
  readAudioHeader,
  readSealedAudioHeader,
  sealAudioInPlace,
} from '@syfala/proto';
import type { Format, SampleType } from '@syfala/proto';

import { BoundsError } from '../src/errors.js';
import { DriftResampler } from '../src/resampler.js';
import { StreamPacketizer, type DatagramSink } from '../src/packetizer.js';

interface Sent {
  readonly streamIndex: number;
  readonly byteIndex: number;
  readonly payload: Uint8Array;
  readonly datagramBytes: number;
  /** As the sink was told; a sealed datagram's header says the same. */
  readonly copy: number;
}

const format = (sampleType: SampleType, channels: number): Format =>
  makeFormat({ sampleType, channels, sampleRate: 48_000, bufferFrames: 0 });

/** Bytes 0, 1, 2, … (mod 251) from stream byte `from`: every position is recognisable. */
const pattern = (from: number, count: number): Uint8Array =>
  Uint8Array.from({ length: count }, (_, i) => (from + i) % 251);

/**
 * Packetizes `payload` into fresh buffers and decodes every datagram back with readAudioHeader,
 * or readSealedAudioHeader for a sealed packetizer's (its payload still clear).
 */
function send(
  packetizer: StreamPacketizer,
  payload: Uint8Array,
  offset = 0,
  afterEach: () => void = () => {},
): Sent[] {
  const sent: Sent[] = [];
  const header = createAudioHeader();
  const sealed = createSealedAudioHeader();
  const count = packetizer.packetize(payload, offset, payload.length - offset, {
    claim: (bytes) => new Uint8Array(bytes),
    send: (datagram, length, copy) => {
      const isSealed = new DataView(datagram.buffer).getUint32(4, true) === SEALED_AUDIO_TAG_CODE;
      const h = isSealed
        ? readSealedAudioHeader(datagram, sealed, 0, length)
        : readAudioHeader(datagram, header, 0, length);
      if (isSealed) expect(sealed.copy).toBe(copy);
      sent.push({
        streamIndex: h.streamIndex,
        byteIndex: h.byteIndex,
        payload: datagram.subarray(h.payloadOffset, h.payloadOffset + h.byteCount),
        datagramBytes: length,
        copy,
      });
      afterEach();
    },
  });
  expect(count).toBe(sent.length);
  return sent;
}

const sizes = (sent: Sent[]): number[] => sent.map((d) => d.payload.length);

/** For periods that must send nothing. */
const NOTHING_SENT: DatagramSink = {
  claim: () => expect.fail('claimed a buffer'),
  send: () => expect.fail('sent'),
};

describe('StreamPacketizer', () => {
  it('carries 172 frames per datagram for the standard format and the default budget', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 0, format: STANDARD_FORMAT });
    expect(packetizer.maxPayloadBytes).toBe(172 * 8);
    expect(DEFAULT_DATAGRAM_BUDGET_BYTES - AUDIO_HEADER_BYTES).toBe(1376);

    const period32 = send(packetizer, pattern(0, 32 * 8));
    expect(sizes(period32)).toEqual([256]);
    expect(period32[0]!.datagramBytes).toBe(AUDIO_HEADER_BYTES + 256);

    const period512 = send(packetizer, pattern(256, 512 * 8));
    expect(sizes(period512)).toEqual([172 * 8, 172 * 8, 168 * 8]);
    expect(period512.map((d) => d.byteIndex)).toEqual([256, 256 + 1376, 256 + 2752]);
    expect(packetizer.byteIndex).toBe(256 + 512 * 8);
  });

  it('writes headers that decode to the stream index, byte index and byte count', () => {
    const packetizer = new StreamPacketizer({
      streamIndex: 7,
      format: format('i16', 2),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 40,
    });
    const sent = send(packetizer, pattern(0, 100));
    expect(sent).toEqual([
      { streamIndex: 7, byteIndex: 0, payload: pattern(0, 40), datagramBytes: 64, copy: 0 },
      { streamIndex: 7, byteIndex: 40, payload: pattern(40, 40), datagramBytes: 64, copy: 0 },
      { streamIndex: 7, byteIndex: 80, payload: pattern(80, 20), datagramBytes: 44, copy: 0 },
    ]);
  });

  it('cuts at frame boundaries when a frame fits the budget', () => {
    // i24 stereo: 6-byte frames; 20 payload bytes of room hold 3 frames (18 bytes).
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: format('i24', 2),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 20,
    });
    expect(packetizer.maxPayloadBytes).toBe(18);
    expect(sizes(send(packetizer, pattern(0, 10 * 6)))).toEqual([18, 18, 18, 6]);
  });

  it('realigns to frame boundaries after being handed a partial frame', () => {
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: format('i24', 2),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 20,
    });
    expect(sizes(send(packetizer, pattern(0, 4)))).toEqual([4]);
    const sent = send(packetizer, pattern(4, 44));
    // 14 bytes complete the 3rd frame (end 18); then whole frames again.
    expect(sizes(sent)).toEqual([14, 18, 12]);
    expect(sent.map((d) => (d.byteIndex + d.payload.length) % 6)).toEqual([0, 0, 0]);
  });

  it('cuts plain bytes when a frame is larger than the budget allows', () => {
    // u64 × 8 channels: 64-byte frames, only 10 payload bytes of room.
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: format('u64', 8),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 10,
    });
    expect(packetizer.maxPayloadBytes).toBe(10);
    expect(sizes(send(packetizer, pattern(0, 64)))).toEqual([10, 10, 10, 10, 10, 10, 4]);
  });

  it('numbers bytes continuously across calls and from 0 again after reset()', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 1, format: format('f32', 1) });
    send(packetizer, pattern(0, 12));
    expect(send(packetizer, pattern(12, 8))[0]!.byteIndex).toBe(12);
    expect(packetizer.byteIndex).toBe(20);
    packetizer.reset();
    expect(packetizer.byteIndex).toBe(0);
    expect(send(packetizer, pattern(0, 8))[0]!.byteIndex).toBe(0);
  });

  it('emits nothing for an empty period and honours the source offset', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 0, format: format('u8', 1) });
    expect(packetizer.packetize(new Uint8Array(4), 4, 0, NOTHING_SENT)).toBe(0);
    const sent = send(packetizer, pattern(0, 10), 6);
    expect(sent).toEqual([
      { streamIndex: 0, byteIndex: 0, payload: pattern(6, 4), datagramBytes: 28, copy: 0 },
    ]);
  });

  it('writes each datagram into the buffer its sink lent for it, and never touches it again', () => {
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: format('u8', 1),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 2,
    });
    const lent: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    packetizer.packetize(pattern(0, 5), 0, 5, {
      claim: (bytes) => {
        lent.push(new Uint8Array(bytes + 3).fill(0xee));
        return lent.at(-1)!;
      },
      send: (datagram, length) => {
        expect(datagram).toBe(lent.at(-1));
        sent.push(datagram.slice(0, length));
      },
    });
    packetizer.packetize(pattern(5, 2), 0, 2, { claim: () => new Uint8Array(64), send: () => {} });
    // What each buffer held when sent is what it holds after the next datagrams and period.
    expect(lent.map((buffer) => buffer.slice(0, buffer.length - 3))).toEqual(sent);
    expect(lent.every((buffer) => buffer.subarray(-3).every((b) => b === 0xee))).toBe(true);
    expect(sent.map((d) => d.length)).toEqual([26, 26, 25]);
  });

  it('copies every datagram whole when its sink grows the core’s memory between them', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 3, format: STANDARD_FORMAT });
    const big: DriftResampler[] = [];
    // Each send builds a 4 MB core object: the memory grows and its old views read nothing.
    const grow = (): number => big.push(new DriftResampler(1, 1 << 20, 1));
    const sent = send(packetizer, pattern(0, 512 * 8), 0, grow);
    expect(big).toHaveLength(3);
    const starts = [0, 1376, 2752];
    expect(sent.map((d) => [d.streamIndex, d.byteIndex])).toEqual(starts.map((at) => [3, at]));
    expect(sent.map((d) => d.payload)).toEqual(
      starts.map((at) => pattern(at, Math.min(1376, 4096 - at))),
    );
  });

  it('drops a datagram its sink has no buffer for: the next keeps its byte index', () => {
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: format('u8', 1),
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 2,
    });
    const header = createAudioHeader();
    const sent: number[] = [];
    let claims = 0;
    const count = packetizer.packetize(pattern(0, 6), 0, 6, {
      claim: (bytes) => (claims++ === 1 ? undefined : new Uint8Array(bytes)),
      send: (datagram, length) => sent.push(readAudioHeader(datagram, header, 0, length).byteIndex),
    });
    expect([count, sent, packetizer.byteIndex]).toEqual([2, [0, 4], 6]);
  });

  it('refuses a sink that lends a buffer too small for the datagram', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 0, format: STANDARD_FORMAT });
    expect(packetizer.maxDatagramBytes).toBe(1400);
    expect(() =>
      packetizer.packetize(new Uint8Array(16), 0, 16, {
        claim: (bytes) => new Uint8Array(bytes - 1),
        send: () => expect.fail('sent'),
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'BUFFER_TOO_SMALL',
        message: 'packetize: the sink lent 39 bytes for a 40-byte datagram',
      }),
    );
  });

  it.each([0, 24, 24.5, MAX_DATAGRAM_BYTES + 1, NaN])('rejects a budget of %d bytes', (budget) => {
    expect(
      () =>
        new StreamPacketizer({
          streamIndex: 0,
          format: STANDARD_FORMAT,
          datagramBudgetBytes: budget,
        }),
    ).toThrow(expect.objectContaining({ name: 'PacketizerError', code: 'BAD_BUDGET' }));
  });

  it('accepts the smallest budget, the header and 1 byte', () => {
    const packetizer = new StreamPacketizer({
      streamIndex: 0,
      format: STANDARD_FORMAT,
      datagramBudgetBytes: AUDIO_HEADER_BYTES + 1,
    });
    expect(sizes(send(packetizer, pattern(0, 3)))).toEqual([1, 1, 1]);
  });

  it.each([-1, 1.5, 2 ** 32])('rejects stream index %d', (streamIndex) => {
    expect(() => new StreamPacketizer({ streamIndex, format: STANDARD_FORMAT })).toThrow(
      expect.objectContaining({ name: 'PacketizerError', code: 'BAD_STREAM_INDEX' }),
    );
  });

  it('rejects an invalid format', () => {
    expect(
      () => new StreamPacketizer({ streamIndex: 0, format: { ...STANDARD_FORMAT, channels: 0 } }),
    ).toThrow(expect.objectContaining({ name: 'ValueError', code: 'BAD_CHANNEL_COUNT' }));
  });

  it('rejects a payload range outside the array', () => {
    const packetizer = new StreamPacketizer({ streamIndex: 0, format: STANDARD_FORMAT });
    expect(() => packetizer.packetize(new Uint8Array(8), 4, 8, NOTHING_SENT)).toThrow(BoundsError);
  });

  describe('with redundancy', () => {
    const redundant = (redundancy: number, budget = DEFAULT_DATAGRAM_BUDGET_BYTES) =>
      new StreamPacketizer({
        streamIndex: 2,
        format: STANDARD_FORMAT,
        datagramBudgetBytes: budget,
        redundancy,
        maxPeriodBytes: 64 * 8,
      });
    const runs = (sent: Sent[]): Array<[number, number]> =>
      sent.map((d) => [d.byteIndex, d.byteIndex + d.payload.length]);

    it('starts each period’s run the previous periods early, in one datagram when it fits', () => {
      const packetizer = redundant(1);
      expect(runs(send(packetizer, pattern(0, 256)))).toEqual([[0, 256]]);
      expect(packetizer.historyBytes).toBe(256);
      const second = send(packetizer, pattern(256, 256));
      expect(runs(second)).toEqual([[0, 512]]);
      expect(second[0]!.payload).toEqual(pattern(0, 512));
      expect(runs(send(packetizer, pattern(512, 256)))).toEqual([[256, 768]]);
      expect(packetizer.byteIndex).toBe(768);
      expect(packetizer.historyBytes).toBe(256);
    });

    it('cuts a run longer than the budget as any other, from its first byte', () => {
      // 2 periods of 64 frames (1,024 bytes) and the 1,376-byte payload room: 2 datagrams.
      const packetizer = redundant(1);
      expect(runs(send(packetizer, pattern(0, 512)))).toEqual([[0, 512]]);
      const sent = send(packetizer, pattern(512, 512));
      expect(runs(sent)).toEqual([[0, 1024]]);
      const small = redundant(2, AUDIO_HEADER_BYTES + 400);
      send(small, pattern(0, 512));
      send(small, pattern(512, 512));
      expect(runs(send(small, pattern(1024, 512)))).toEqual([
        [0, 400],
        [400, 800],
        [800, 1200],
        [1200, 1536],
      ]);
    });

    it('forgets an empty period, and the whole history at reset()', () => {
      const packetizer = redundant(1);
      send(packetizer, pattern(0, 256));
      expect(packetizer.packetize(new Uint8Array(0), 0, 0, NOTHING_SENT)).toBe(0);
      expect(runs(send(packetizer, pattern(256, 8)))).toEqual([[0, 264]]);
      packetizer.reset();
      expect(packetizer.historyBytes).toBe(0);
      expect(runs(send(packetizer, pattern(0, 8)))).toEqual([[0, 8]]);
    });

    it('sends every byte redundancy + 1 times, never twice in one datagram, numbering copies', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...SAMPLE_TYPES),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: AUDIO_HEADER_BYTES + 1, max: AUDIO_HEADER_BYTES + 300 }),
          fc.integer({ min: 0, max: MAX_REDUNDANCY_PERIODS }),
          fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 10 }),
          (sampleType, channels, budget, redundancy, periodFrames) => {
            const fmt = format(sampleType, channels);
            const bpf = bytesPerFrame(fmt);
            const packetizer = new StreamPacketizer({
              streamIndex: 0,
              format: fmt,
              datagramBudgetBytes: budget,
              redundancy,
              maxPeriodBytes: 40 * bpf,
            });
            const copies: number[] = [];
            /** End byte of each non-empty period sent so far. */
            const ends: number[] = [];
            /** Each datagram's first byte and copy, none twice in the run. */
            const numbered = new Set<string>();
            for (const frames of periodFrames) {
              const from = packetizer.byteIndex;
              const held = packetizer.historyBytes;
              const sent = send(packetizer, pattern(from, frames * bpf));
              if (frames === 0) {
                expect(sent).toEqual([]);
                continue;
              }
              // One run from `held` bytes back to the period's end, cut at the budget.
              let next = from - held;
              for (const d of sent) {
                expect(d.byteIndex).toBe(next);
                expect(d.datagramBytes).toBeLessThanOrEqual(budget);
                expect(d.payload).toEqual(pattern(next, d.payload.length));
                for (let b = next; b < next + d.payload.length; b++)
                  copies[b] = (copies[b] ?? 0) + 1;
                // copy = p − q, q the period of the first byte (PROTOCOL.md §7.3).
                const q = ends.findIndex((end) => end > next);
                expect(d.copy).toBe(ends.length - (q < 0 ? ends.length : q));
                expect(numbered.has(`${next} ${d.copy}`)).toBe(false);
                numbered.add(`${next} ${d.copy}`);
                next += d.payload.length;
              }
              expect(next).toBe(packetizer.byteIndex);
              ends.push(next);
            }
            // A byte of the k-th last period has been sent min(k, redundancy + 1) times so far.
            for (let k = 1; k <= ends.length; k++) {
              const end = ends[ends.length - k]!;
              const start = ends[ends.length - k - 1] ?? 0;
              const expected = Math.min(k, redundancy + 1);
              for (let b = start; b < end; b++) expect(copies[b]).toBe(expected);
            }
          },
        ),
      );
    });

    it.each([-1, 1.5, MAX_REDUNDANCY_PERIODS + 1])('rejects a redundancy of %d', (redundancy) => {
      expect(
        () =>
          new StreamPacketizer({
            streamIndex: 0,
            format: STANDARD_FORMAT,
            redundancy,
            maxPeriodBytes: 256,
          }),
      ).toThrow(expect.objectContaining({ name: 'PacketizerError', code: 'BAD_REDUNDANCY' }));
    });

    it.each([undefined, 0, 2.5])('needs a history size, refusing maxPeriodBytes %s', (max) => {
      expect(
        () =>
          new StreamPacketizer({
            streamIndex: 0,
            format: STANDARD_FORMAT,
            redundancy: 1,
            ...(max !== undefined && { maxPeriodBytes: max }),
          }),
      ).toThrow(expect.objectContaining({ name: 'PacketizerError', code: 'BAD_MAX_PERIOD' }));
    });

    it('refuses a period longer than maxPeriodBytes, sending nothing', () => {
      const packetizer = redundant(1);
      expect(() =>
        packetizer.packetize(pattern(0, 64 * 8 + 1), 0, 64 * 8 + 1, NOTHING_SENT),
      ).toThrow(expect.objectContaining({ name: 'PacketizerError', code: 'PERIOD_TOO_LARGE' }));
      expect(packetizer.byteIndex).toBe(0);
    });
  });

  describe('sealed', () => {
    const sealedPacketizer = (budget = DEFAULT_DATAGRAM_BUDGET_BYTES, redundancy = 0) =>
      new StreamPacketizer({
        streamIndex: 5,
        format: STANDARD_FORMAT,
        datagramBudgetBytes: budget,
        redundancy,
        maxPeriodBytes: 512 * 8,
        sealed: true,
      });

    it('leaves room for the AUDE header and tag: 169 standard frames in 1,400 bytes', () => {
      const packetizer = sealedPacketizer();
      expect(packetizer.maxPayloadBytes).toBe(169 * 8);
      expect(packetizer.maxDatagramBytes).toBe(DEFAULT_DATAGRAM_BUDGET_BYTES);
      const sent = send(packetizer, pattern(0, 512 * 8));
      expect(sizes(sent)).toEqual([169 * 8, 169 * 8, 169 * 8, 5 * 8]);
      expect(sent[0]!.datagramBytes).toBe(
        SEALED_AUDIO_HEADER_BYTES + 169 * 8 + AUDIO_AUTH_TAG_BYTES,
      );
      expect(sent.map((d) => d.payload)).toEqual(
        sent.map((d) => pattern(d.byteIndex, d.payload.length)),
      );
    });

    it('hands over datagrams sealAudioInPlace seals and openAudio opens', () => {
      const key = new Uint8Array(32).fill(9);
      const packetizer = sealedPacketizer(DEFAULT_DATAGRAM_BUDGET_BYTES, 2);
      const opened: Uint8Array[] = [];
      for (let period = 0; period < 3; period++) {
        packetizer.packetize(pattern(period * 256, 256), 0, 256, {
          claim: (bytes) => new Uint8Array(bytes),
          send: (datagram, length) => {
            sealAudioInPlace(key, 'server-to-client', 7, datagram, length);
            opened.push(openAudio(key, 'server-to-client', datagram.subarray(0, length))!);
          },
        });
      }
      // With redundancy 2, the third period's run starts at byte 0.
      expect(opened.map((p) => p.length)).toEqual([256, 512, 768]);
      expect(opened[2]).toEqual(Buffer.from(pattern(0, 768)));
    });

    it.each([48, 48.5])('rejects a budget of %d bytes, less than header, tag and 1 byte', (b) => {
      expect(() => sealedPacketizer(b)).toThrow(
        expect.objectContaining({ name: 'PacketizerError', code: 'BAD_BUDGET' }),
      );
      expect(sizes(send(sealedPacketizer(49), pattern(0, 2)))).toEqual([1, 1]);
    });
  });

  it('cuts any stream into contiguous datagrams within the budget', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLE_TYPES),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: AUDIO_HEADER_BYTES + 1, max: AUDIO_HEADER_BYTES + 200 }),
        fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 8 }),
        (sampleType, channels, budget, periodFrames) => {
          const fmt = format(sampleType, channels);
          const bpf = bytesPerFrame(fmt);
          const packetizer = new StreamPacketizer({
            streamIndex: 3,
            format: fmt,
            datagramBudgetBytes: budget,
          });
          const frameCuts = budget - AUDIO_HEADER_BYTES >= bpf;
          let next = 0;
          for (const frames of periodFrames) {
            const sent = send(packetizer, pattern(next, frames * bpf));
            for (const d of sent) {
              expect(d.streamIndex).toBe(3);
              expect(d.byteIndex).toBe(next);
              expect(d.datagramBytes).toBeLessThanOrEqual(budget);
              expect(d.payload).toEqual(pattern(next, d.payload.length));
              next += d.payload.length;
              if (frameCuts) expect(next % bpf).toBe(0);
            }
            expect(next).toBe(packetizer.byteIndex);
          }
          expect(next).toBe(periodFrames.reduce((sum, f) => sum + f * bpf, 0));
        },
      ),
    );
  });
});
