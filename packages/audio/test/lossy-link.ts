/**
 * One stream between two real TS engines through the impairment relay's random loss, with the
 * sender's redundancy (PROTOCOL.md §7.3): used by redundancy.test.ts and bench/redundancy.ts.
 */
import type { Format } from '@syfala/proto';
import { ImpairmentRelay, mergeRanges, type ByteRange } from '@syfala/relay';
import {
  AudioEngine,
  type ReceivedStreamStats,
  type StreamRoute,
  type StreamSendStats,
} from '../src/index.js';

export interface LossyLinkOptions {
  readonly format: Format;
  /** Probability that the relay drops a datagram. */
  readonly loss: number;
  readonly redundancy: number;
  readonly seed: number;
  readonly streamMs: number;
  readonly targetLatencyFrames: number;
}

export interface LossyLinkResult {
  readonly sent: StreamSendStats;
  readonly received: ReceivedStreamStats;
  /** The relay's dropped runs, one per datagram, in arrival order. */
  readonly dropped: ByteRange[];
  /** Datagrams the relay saw. */
  readonly datagrams: number;
}

/** Streams for `streamMs` and reads both sides' counters and the relay's report at once. */
export async function runLossyLink(options: LossyLinkOptions): Promise<LossyLinkResult> {
  const engines: AudioEngine[] = [];
  let relay: ImpairmentRelay | undefined;
  try {
    const start = async (streams: { inputs: Format[]; outputs: Format[] }) => {
      const engine = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
      engines.push(engine);
      await engine.openDevice({ backend: 'virtual', streams, options: {} });
      return engine;
    };
    const sender = await start({ inputs: [options.format], outputs: [] });
    const receiver = await start({ inputs: [], outputs: [options.format] });
    relay = await ImpairmentRelay.start({
      target: { address: '127.0.0.1', port: receiver.port },
      impairments: { toTarget: { loss: options.loss } },
      seed: options.seed,
    });
    const route: StreamRoute = { device: 0, wire: 0, format: options.format };
    const peer = {
      id: 'relay',
      address: '127.0.0.1',
      port: relay.port,
      targetLatencyFrames: options.targetLatencyFrames,
    };
    await receiver.addPeer({ ...peer, send: [], receive: [route], sending: false });
    await sender.addPeer({
      ...peer,
      send: [route],
      receive: [],
      sending: true,
      redundancy: options.redundancy,
    });
    await new Promise((resolve) => setTimeout(resolve, options.streamMs));
    const [senderStats, receiverStats] = await Promise.all([sender.stats(), receiver.stats()]);
    const report = relay.report().toTarget;
    return {
      sent: senderStats.peers[0]!.sent[0]!,
      received: receiverStats.peers[0]!.received[0]!,
      dropped: report.streams[0]?.dropped ?? [],
      datagrams: report.audio,
    };
  } finally {
    await relay?.close();
    await Promise.all(engines.map((engine) => engine.close()));
  }
}

/**
 * The bytes that `times` or more of `runs` cover, sorted and merged. With redundancy R every byte
 * travels in R + 1 datagrams, so the bytes covered R + 1 times by dropped runs are exactly those
 * no copy of which arrived.
 */
export function coveredAtLeast(runs: readonly ByteRange[], times: number): ByteRange[] {
  const edges = runs
    .flatMap(([start, end]): Array<[number, number]> => [
      [start, 1],
      [end, -1],
    ])
    // At one position, ends before starts: runs that only touch do not overlap.
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const covered: ByteRange[] = [];
  let depth = 0;
  let from = 0;
  for (const [at, step] of edges) {
    if (step > 0 && ++depth === times) from = at;
    if (step < 0 && depth-- === times && at > from) covered.push([from, at]);
  }
  return mergeRanges(covered);
}
