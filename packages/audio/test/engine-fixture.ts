import { onTestFinished } from 'vitest';
import { mergeRanges, type ByteRange } from '@syfala/relay';
import type { Format } from '@syfala/proto';
import { AudioEngine, type DeviceStreams, type PeerSpec } from '../src/index.js';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A TS engine on 127.0.0.1 with a realtime virtual card of `streams`, closed when the test ends. */
export async function startEngine(streams: DeviceStreams): Promise<AudioEngine> {
  const started = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  onTestFinished(() => started.close());
  await started.openDevice({ backend: 'virtual', streams, options: {} });
  return started;
}

/**
 * Streams `sender`'s card input 0 to `receiver`'s card output 0 as wire stream 0 of `format`, one
 * way: the receiver is added first, so it hears from byte 0. `options` go to both peer specs.
 */
export async function linkOneWay(
  sender: AudioEngine,
  receiver: AudioEngine,
  format: Format,
  options: Partial<PeerSpec> = {},
): Promise<void> {
  const route = { device: 0, wire: 0, format };
  const common = { address: '127.0.0.1', targetLatencyFrames: 960, ...options };
  await receiver.addPeer({
    ...common,
    id: 'sender',
    port: sender.port,
    send: [],
    receive: [route],
    sending: false,
  });
  await sender.addPeer({
    ...common,
    id: 'receiver',
    port: receiver.port,
    send: [route],
    receive: [],
    sending: true,
  });
}

/**
 * The ranges a receiver must have concealed by the time its playhead reached `end`: merged where
 * they touch, cut at `end`, as the jitter buffer reports them.
 */
export function played(ranges: readonly ByteRange[], end: number): ByteRange[] {
  return mergeRanges(ranges)
    .filter(([start]) => start < end)
    .map(([start, stop]): ByteRange => [start, Math.min(stop, end)]);
}

/** Bytes covered by disjoint ranges. */
export function byteCount(ranges: readonly ByteRange[]): number {
  return ranges.reduce((sum, [start, end]) => sum + end - start, 0);
}
