/**
 * Round trip through @syfala/remote (issue #15): a server (the virtual card) clicks every 100 ms
 * and times, on its own device clock, each click's echo from a client that sends back what it
 * receives: in processor mode (on the engine's thread, the same period) or in streams mode (blocks
 * read and written back on the main thread). Both jitter buffers hold the CLI default, 480 frames;
 * 32-frame periods. The engine's own share of the round trip is those two buffers: what a mode
 * adds is the rest, in periods.
 *
 *   bash scripts/pnpm.sh exec tsx bench/remote-round-trip.ts [--seconds 5] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { STANDARD_FORMAT } from '@syfala/proto';
import { openRemoteStream, type RemoteBlockStream } from '@syfala/remote';
import { Daemon } from 'syfala';
import { machineLine, median, table } from './bench-report.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    period: { type: 'string', default: '32' },
    target: { type: 'string', default: '480' },
  },
});
const PERIOD_FRAMES = Number(args.period);
const TARGET_LATENCY_FRAMES = Number(args.target);
const FORMAT = { ...STANDARD_FORMAT, bufferFrames: PERIOD_FRAMES };
/** A click every 100 ms; its level names it (bench/remote/click-processor.mjs). */
const INTERVAL_FRAMES = 4800;
/** A concealer that repeats the last cycle could repeat a click: missing audio plays silence. */
const CONCEALMENT = 'silence';
const PLAYOUT = { latency: TARGET_LATENCY_FRAMES, driftCompensation: false };
const ECHO = new URL('./remote/echo-processor.mjs', import.meta.url);
const CLICK = new URL('./remote/click-processor.mjs', import.meta.url).href;

/** Sends back every block as it is read, until the stream ends. */
async function echoOnMainThread(stream: RemoteBlockStream): Promise<void> {
  for await (const block of stream.blocks) stream.output.write(block);
}

async function roundTrips(mode: 'processor' | 'streams'): Promise<number[]> {
  const results = new SharedArrayBuffer(4 * 1024);
  // The engine opens a DeviceSpec with its processor: the daemon hands its device through as is.
  const device = {
    backend: 'virtual',
    options: {},
    processor: { module: CLICK, options: { results, intervalFrames: INTERVAL_FRAMES } },
  } as const;
  const daemon = await Daemon.start({
    name: 'bench',
    formats: { inputs: [FORMAT], outputs: [FORMAT] },
    host: '127.0.0.1',
    udpPort: 0,
    controlPort: 0,
    discovery: { group: false, mdns: false },
    device,
    playout: PLAYOUT,
    concealment: CONCEALMENT,
  });
  const { udpPort, controlPort } = daemon.server;
  const target = { host: '127.0.0.1', udpPort, controlPort: controlPort! };
  const common = { playout: PLAYOUT, concealment: CONCEALMENT } as const;
  let echoing = Promise.resolve();
  let stream;
  if (mode === 'processor') stream = await openRemoteStream(target, { ...common, processor: ECHO });
  else {
    const blocks = await openRemoteStream(target, { ...common, latencyFrames: 1024 });
    echoing = echoOnMainThread(blocks);
    stream = blocks;
  }
  await new Promise((resolve) => setTimeout(resolve, Number(args.seconds) * 1000));
  const stats = await stream.stats();
  await stream.close();
  await echoing;
  await daemon.close();
  const counts = new Int32Array(results);
  if (stats.rings !== undefined) underruns.push(stats.rings.sendUnderrunFrames);
  return [...counts.subarray(1, 1 + Math.min(counts[0]!, counts.length - 1))];
}

const underruns: number[] = [];
console.log(machineLine());
const rows: string[][] = [];
for (const mode of ['processor', 'streams'] as const) {
  const all: number[] = [];
  underruns.length = 0;
  for (let run = 0; run < Number(args.runs); run++) all.push(...(await roundTrips(mode)));
  const added = (frames: number): string =>
    ((frames - 2 * TARGET_LATENCY_FRAMES) / PERIOD_FRAMES).toFixed(1);
  rows.push([
    mode,
    String(all.length),
    String(Math.min(...all)),
    String(median(all)),
    String(Math.max(...all)),
    added(median(all)),
    added(Math.max(...all)),
    mode === 'streams' ? String(underruns.reduce((a, b) => a + b, 0)) : '–',
  ]);
}
console.log(
  table(
    [
      'client echo',
      'echoes',
      'min frames',
      'median',
      'max',
      'median beyond both buffers, periods',
      'max beyond, periods',
      'send underrun frames',
    ],
    rows,
  ),
);
