import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { onTestFinished } from 'vitest';
import { createAudioHeader, readAudioHeader, writeAudioHeader } from '@syfala/proto';
import {
  ImpairmentRelay,
  mergeRanges,
  type ByteRange,
  type DirectionReport,
  type Impairments,
  type RelayReport,
} from '../src/index.js';

/** Small enough that a batch never fills a loopback socket's receive buffer. */
const BATCH = 32;
const SETTLE_TIMEOUT_MS = 20_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A UDP socket on 127.0.0.1 that keeps what it receives, in arrival order. */
export interface Peer {
  readonly socket: Socket;
  readonly port: number;
  readonly received: Buffer[];
}

export async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  // Room for what arrives while this process's one event loop is busy elsewhere (the relay, GC):
  // the default ~200 KiB overflowed now and then, and the kernel dropped what the test counts.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const received: Buffer[] = [];
  socket.on('message', (datagram) => received.push(datagram));
  return { socket, port: socket.address().port, received };
}

export async function relayTo(
  target: Peer,
  toTarget: Impairments,
  seed = 1,
  toSource: Impairments = {},
): Promise<ImpairmentRelay> {
  const relay = await ImpairmentRelay.start({
    target: { address: '127.0.0.1', port: target.port },
    impairments: { toTarget, toSource },
    seed,
  });
  onTestFinished(() => relay.close());
  return relay;
}

/** AUDI datagram `index` of a stream cut in runs of `count` bytes; payload bytes tell it apart. */
export function audio(index: number, count = 16, stream = 0): Buffer {
  const datagram = Buffer.alloc(24 + count);
  writeAudioHeader(datagram, 0, stream, index * count, count);
  for (let i = 0; i < count; i++) datagram[24 + i] = (index * 7 + i) & 0xff;
  return datagram;
}

/** `n` consecutive datagrams of stream 0. */
export function audioRun(n: number, count = 16): Buffer[] {
  return Array.from({ length: n }, (_, i) => audio(i, count));
}

/**
 * Sends `datagrams` through the relay in batches, each once the relay has taken the last and has
 * few copies left to send (a burst of copies released at once must fit the target's socket
 * buffer: nothing may be lost but what the relay drops), then waits until
 * everything the relay scheduled toward `to` has arrived (copies held back by position may still
 * wait for followers). Returns the report at that point.
 */
export async function pump(
  from: Peer,
  relay: ImpairmentRelay,
  datagrams: readonly Buffer[],
  to: Peer,
  direction: 'toTarget' | 'toSource' = 'toTarget',
): Promise<RelayReport> {
  const start = relay.report()[direction].received;
  for (let i = 0; i < datagrams.length; i += BATCH) {
    const batch = datagrams.slice(i, i + BATCH);
    for (const datagram of batch) from.socket.send(datagram, relay.port, '127.0.0.1');
    await until(() => {
      const report = relay.report()[direction];
      return report.received >= start + i + batch.length && report.pending <= BATCH;
    }, relay);
  }
  await until(() => {
    const report = relay.report()[direction];
    return report.pending === 0 && to.received.length >= report.sent;
  }, relay);
  return relay.report();
}

/** Polls `done` until it holds; fails loudly (never hangs) if it does not within 20 s. */
export async function until(done: () => boolean, relay?: ImpairmentRelay): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) {
      const counts = relay === undefined ? '' : `: ${JSON.stringify(relay.report(), omitRanges)}`;
      throw new Error(`timed out waiting for the relay${counts}`);
    }
    await sleep(1);
  }
}

const omitRanges = (key: string, value: unknown): unknown =>
  key === 'streams' ? undefined : value;

/** The byte index of a datagram that reads as audio, else undefined. */
export function byteIndexOf(datagram: Buffer): number | undefined {
  return datagram.length >= 24 && datagram.toString('latin1', 4, 8) === 'AUDI'
    ? Number(datagram.readBigUInt64LE(12))
    : undefined;
}

/** Whether a count is within `sigmas` standard deviations of a binomial mean. */
export function nearBinomial(count: number, n: number, p: number, sigmas = 5): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(count - n * p) <= sigmas * sd;
}

/** Copies sent + pending + held + discarded = received − unroutable − dropped + duplicated. */
export function copiesBalance(report: DirectionReport): boolean {
  const { sent, pending, held, discarded, received, unroutable, dropped, duplicated } = report;
  return sent + pending + held + discarded === received - unroutable - dropped + duplicated;
}

/**
 * What a receiver would count as lost in `stream`: the complement in [0, end) of the ranges of the
 * valid AUDI datagrams it got (merged, as the relay reports `undelivered`).
 */
export function gaps(received: readonly Buffer[], end: number, stream = 0): ByteRange[] {
  const got: ByteRange[] = [];
  const header = createAudioHeader();
  for (const datagram of received) {
    try {
      readAudioHeader(datagram, header);
    } catch {
      continue;
    }
    if (header.streamIndex === stream) {
      got.push([header.byteIndex, header.byteIndex + header.byteCount]);
    }
  }
  const missing: ByteRange[] = [];
  let next = 0;
  for (const [start, stop] of mergeRanges(got)) {
    if (start > next) missing.push([next, start]);
    next = Math.max(next, stop);
  }
  if (next < end) missing.push([next, end]);
  return missing;
}
