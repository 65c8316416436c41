/**
 * Redundancy bench (issue #7): one f32 stereo stream, 32-frame periods, between two TS engines
 * through the impairment relay's random loss, with the sender's redundancy R = 0, 1, 2
 * (PROTOCOL.md §7.3). Prints the share of frames concealed; of those, the frames whose every copy
 * the relay dropped (the rest were lost to the receiver's scheduling: copies that came too late);
 * the independent-loss model p^(R+1); UDP receive-buffer overflows (machine-wide, which the
 * relay cannot report: its socket has the default buffer, and it runs on this process's main
 * thread); and the bandwidth (payload and headers) against R = 0 in the same run.
 *
 *   bash scripts/pnpm.sh exec tsx bench/redundancy.ts [--seconds 3] [--seeds 3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AUDIO_HEADER_BYTES, bytesPerFrame, type Format } from '@syfala/proto';
import { coveredAtLeast, runLossyLink } from '../packages/audio/test/lossy-link.js';
import { machineLine, table } from './bench-report.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, seeds: { type: 'string', default: '3' } },
});
const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** The CLI's default jitter-buffer target: 10 ms. */
const TARGET_LATENCY_FRAMES = 480;
const LOSSES = [0.01, 0.05, 0.1];
const REDUNDANCIES = [0, 1, 2];
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1);

/** Datagrams the kernel dropped for a full receive buffer, machine-wide (/proc/net/snmp). */
function receiveBufferErrors(): number {
  const [names, values] = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp:'))
    .map((line) => line.split(/\s+/));
  return Number(values![names!.indexOf('RcvbufErrors')]);
}

console.log(machineLine());
const rows: string[][] = [];
for (const loss of LOSSES) {
  let baseline = 0;
  for (const redundancy of REDUNDANCIES) {
    let lostFrames = 0;
    let droppedFrames = 0;
    let late = 0;
    let underruns = 0;
    let kernelDrops = 0;
    let playedFrames = 0;
    let wireBytes = 0;
    let datagrams = 0;
    for (const seed of SEEDS) {
      const dropsBefore = receiveBufferErrors();
      const r = await runLossyLink({
        format: FORMAT,
        loss,
        redundancy,
        seed,
        streamMs: Number(args.seconds) * 1000,
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
      });
      kernelDrops += receiveBufferErrors() - dropsBefore;
      const { received } = r;
      lostFrames += received.lostFrames;
      const everyCopy = coveredAtLeast(r.dropped, redundancy + 1);
      for (const [start, end] of everyCopy) {
        if (start < received.playheadByte) {
          droppedFrames += (Math.min(end, received.playheadByte) - start) / bytesPerFrame(FORMAT);
        }
      }
      late += received.late;
      underruns += received.underruns;
      playedFrames += received.playheadByte / bytesPerFrame(FORMAT);
      // Per frame of stream sent, so runs of slightly different lengths compare.
      const framesSent = r.received.highestByte / bytesPerFrame(FORMAT);
      wireBytes += (r.sent.bytes + AUDIO_HEADER_BYTES * r.sent.datagrams) / framesSent;
      datagrams += r.sent.datagrams / framesSent;
    }
    if (redundancy === 0) baseline = wireBytes;
    rows.push([
      `${loss * 100} %`,
      String(redundancy),
      `${((lostFrames / playedFrames) * 100).toFixed(3)} %`,
      `${((droppedFrames / playedFrames) * 100).toFixed(3)} %`,
      `${(loss ** (redundancy + 1) * 100).toFixed(3)} %`,
      String(lostFrames),
      String(Math.round(droppedFrames)),
      String(late),
      String(underruns),
      String(kernelDrops),
      String(Math.round(playedFrames)),
      ((datagrams / SEEDS.length) * FORMAT.sampleRate).toFixed(0),
      `${(wireBytes / baseline).toFixed(2)}×`,
    ]);
  }
}
console.log(
  table(
    [
      'relay loss',
      'R',
      'frames lost',
      'every copy dropped',
      'model p^(R+1)',
      'lost frames',
      'of which every copy dropped',
      'late datagrams',
      'underruns',
      'kernel drops',
      'frames played',
      'datagrams/s',
      'bytes on the wire vs R = 0',
    ],
    rows,
  ),
);
