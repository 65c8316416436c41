import { describe, expect, it } from 'vitest';
import { createAudioHeader, readAudioHeader, sealAudio } from '@syfala/proto';
import { mergeRanges, type ByteRange } from '../src/index.js';
import { audio, audioRun, gaps, nearBinomial, peer, pump, relayTo } from './harness.js';

const N = 10_000;
const BYTES = 16;
const LENGTH = 24 + BYTES;

describe('truncation and corruption', () => {
  it('cuts the datagrams it picks to a random shorter length, which receivers reject', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { truncate: 0.05 }, 21);
    const report = (await pump(source, relay, audioRun(N, BYTES), target)).toTarget;

    expect(nearBinomial(report.truncated, N, 0.05)).toBe(true);
    expect(report.sent).toBe(N);
    // No delay: datagrams arrive in order, one for one.
    const cut = target.received.flatMap((datagram, i) => (datagram.length < LENGTH ? [i] : []));
    expect(cut).toEqual(report.streams[0]!.truncated.map(([start]) => start / BYTES));
    const lengths = cut.map((i) => target.received[i]!.length);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lengths)).toBeLessThan(LENGTH);
    const meanLength = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(meanLength).toBeGreaterThan(15); // uniform over 0 … 39: 19.5
    expect(meanLength).toBeLessThan(24);
    expect(report.streams[0]!.undelivered).toEqual(gaps(target.received, N * BYTES));
  });

  it('flips 1 to n distinct bits of the datagrams it picks, and knows which headers survived', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { corrupt: { probability: 0.05, maxBits: 3 } }, 22);
    const report = (await pump(source, relay, audioRun(N, BYTES), target)).toTarget;

    expect(nearBinomial(report.corrupted, N, 0.05)).toBe(true);
    const flips = target.received.map((datagram, i) => bitsDiffering(datagram, audio(i, BYTES)));
    const corrupted = flips.flatMap((bits, i) => (bits > 0 ? [i] : []));
    expect(corrupted).toEqual(report.streams[0]!.corrupted.map(([start]) => start / BYTES));
    const perDatagram = corrupted.map((i) => flips[i]!);
    expect(new Set(perDatagram)).toEqual(new Set([1, 2, 3]));
    expect(perDatagram.reduce((a, b) => a + b, 0)).toBe(report.flippedBits);
    // Undelivered: the copies that no longer read as their own stream and bytes (a header hit).
    const header = createAudioHeader();
    const lost: ByteRange[] = [];
    target.received.forEach((datagram, i) => {
      const range: ByteRange = [i * BYTES, (i + 1) * BYTES];
      try {
        readAudioHeader(datagram, header);
        if (header.streamIndex === 0 && header.byteIndex === range[0]) return;
      } catch {
        // rejected: lost
      }
      lost.push(range);
    });
    expect(lost.length).toBeGreaterThan(0); // 24 of 40 bytes are header
    expect(lost.length).toBeLessThan(corrupted.length);
    expect(report.streams[0]!.undelivered).toEqual(mergeRanges(lost));
  });

  it('reads sealed audio by its header, and counts every damaged copy of it undelivered', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { corrupt: { probability: 0.05 }, audioOnly: true }, 23);
    // AUDE, whose header is readable: a receiver refuses a copy with any bit flipped.
    const key = new Uint8Array(32).fill(5);
    const sealed = Array.from({ length: 2_000 }, (_, i) =>
      Buffer.from(
        sealAudio(key, 'client-to-server', {
          streamIndex: 0,
          byteIndex: i * BYTES,
          copy: 0,
          keyId: 0,
          payload: new Uint8Array(BYTES).fill(i & 0xff),
        }),
      ),
    );
    const report = (await pump(source, relay, sealed, target)).toTarget;

    expect(report.audio).toBe(2_000);
    const corrupted = report.streams[0]!.corrupted;
    expect(corrupted.length).toBeGreaterThan(50);
    expect(report.streams[0]!.undelivered).toEqual(mergeRanges(corrupted));
  });
});

function bitsDiffering(a: Buffer, b: Buffer): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) bits++;
  }
  return bits;
}
