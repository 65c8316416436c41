/**
 * How many f32 48 kHz channels the TS data plane carries over loopback with zero loss, and the
 * CPU it takes: two engines (each its own worker thread, each with a virtual card on the real-time
 * clock) stream one N-channel stream from one to the other for a few seconds, 32-frame periods.
 * CPU is the whole process's (both workers and the idle main thread), per second of audio.
 * Run by `npm run bench` (bench/run.ts).
 */
import { AudioEngine, type AudioSecurity, type ReceivedStreamStats } from '@syfala/audio';
import type { Format } from '@syfala/proto';

const RUN_MS = 3000;
const TARGET_LATENCY_FRAMES = 480;

export interface ChannelsBenchRow {
  channels: number;
  lostFrames: number;
  late: number;
  underruns: number;
  overruns: number;
  xruns: number;
  /** CPU seconds per second of audio, whole process. */
  cpuLoad: number;
  /** Microseconds of CPU per channel per second of audio. */
  cpuPerChannelUs: number;
  /** With encryption: datagrams the receiver refused as not authentic. */
  authFailed: number;
}

/** Each side's keys, for an encrypted stream (bench/ts-encryption.ts). */
export interface StreamSecurity {
  readonly sender: AudioSecurity;
  readonly receiver: AudioSecurity;
}

/** Streams `channels` channels one way for RUN_MS, encrypted when given `security`. */
export async function streamChannels(
  channels: number,
  security?: StreamSecurity,
): Promise<ChannelsBenchRow> {
  const format: Format = { sampleType: 'f32', sampleRate: 48_000, channels, bufferFrames: 32 };
  const sender = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  const receiver = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  try {
    await sender.openDevice({
      backend: 'virtual',
      streams: { inputs: [format], outputs: [] },
      options: {},
    });
    await receiver.openDevice({
      backend: 'virtual',
      streams: { inputs: [], outputs: [format] },
      options: {},
    });
    const route = { device: 0, wire: 0, format };
    const common = { address: '127.0.0.1', targetLatencyFrames: TARGET_LATENCY_FRAMES };
    await receiver.addPeer({
      ...common,
      id: 'tx',
      port: sender.port,
      send: [],
      receive: [route],
      sending: false,
      ...(security && { security: security.receiver }),
    });
    await sender.addPeer({
      ...common,
      id: 'rx',
      port: receiver.port,
      send: [route],
      receive: [],
      sending: true,
      ...(security && { security: security.sender }),
    });
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const stats = await receiver.stats();
    const cpu = process.cpuUsage(cpuStart);
    const seconds = (performance.now() - start) / 1000;
    const received = stats.peers[0]!.received[0]! as ReceivedStreamStats;
    const senderStats = await sender.stats();
    const cpuLoad = (cpu.user + cpu.system) / 1e6 / seconds;
    return {
      channels,
      lostFrames: received.lostFrames,
      late: received.late,
      underruns: received.underruns,
      overruns: received.overrunDatagrams,
      xruns: (stats.device?.xruns ?? 0) + (senderStats.device?.xruns ?? 0),
      cpuLoad,
      cpuPerChannelUs: (cpuLoad * 1e6) / channels,
      authFailed: stats.peers[0]!.security?.authFailed ?? 0,
    };
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
}

export async function runChannelsBench(
  counts = [2, 16, 64, 128, 256],
): Promise<ChannelsBenchRow[]> {
  const rows: ChannelsBenchRow[] = [];
  for (const channels of counts) rows.push(await streamChannels(channels));
  return rows;
}
