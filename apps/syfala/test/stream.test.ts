import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { bytesPerFrame, type StreamFormats } from '@syfala/proto';
import { Daemon, streamWith } from '../src/index.js';
import { readWavFile } from '@syfala/audio';
import { countedSlips, matchingFrames, sleep, tempDir, writeSignal } from './fixtures.js';

const RATE = 48_000;
const SIGNAL_FRAMES = 3 * RATE;
/**
 * Audio carried each way before the client stops: 1 s of it is compared, after the target
 * latency and with room for a recording's ragged ends. Each recording is what was sent but for
 * the frames its receiver counted as skipped: a loaded machine's stalls can hold a buffer above
 * its target for a slip window (played straight, without drift compensation, it then slips).
 */
const STREAM_SECONDS = 1.5;
/**
 * 100 ms of jitter buffer: exactness on a clean path should not hang on how a loaded 2-core
 * machine schedules four threads (the product default, 10 ms, is what the demo runs).
 */
const TARGET_LATENCY_FRAMES = 4800;

/** The server's counted slips: it receives one stream, so its session total is that stream's. */
function serverSlips(
  result: Awaited<ReturnType<typeof streamWith>>,
): ReturnType<typeof countedSlips> {
  return countedSlips(result.serverView?.session.skippedFrames ?? 0, RATE);
}

async function startDaemon(
  formats: StreamFormats,
  options: Record<string, unknown>,
): Promise<Daemon> {
  const daemon = await Daemon.start({
    name: 'test card',
    formats,
    host: '127.0.0.1',
    udpPort: 0,
    controlPort: 0,
    discovery: { group: false, mdns: false },
    device: { backend: 'virtual', options },
    playout: { latency: TARGET_LATENCY_FRAMES, driftCompensation: false },
  });
  onTestFinished(() => daemon.close());
  return daemon;
}

/**
 * Resolves once the daemon has sent and received STREAM_SECONDS of every stream, however long a
 * loaded machine took to set the session up (a fixed wall-clock window left less audio then).
 */
async function streamed(daemon: Daemon, formats: StreamFormats): Promise<void> {
  const bytesOf = (format: StreamFormats['inputs'][number]): number =>
    STREAM_SECONDS * format.sampleRate * bytesPerFrame(format);
  for (;;) {
    const peer = (await daemon.engine.stats()).peers[0];
    const sent = formats.inputs.every((f, i) => (peer?.sent[i]?.bytes ?? 0) >= bytesOf(f));
    const received = formats.outputs.every(
      (f, i) => (peer?.received[i]?.receivedBytes ?? 0) >= bytesOf(f),
    );
    if (sent && received) return;
    await sleep(50);
  }
}

describe('streaming both ways over loopback, TS data plane', () => {
  it.each([
    ['f32', 'i24'],
    ['i16', 'f32'],
    ['i24', 'i16'],
  ] as const)(
    'delivers %s to the client and %s to the server sample for sample',
    { timeout: 30_000 },
    async (down, up) => {
      const dir = tempDir();
      const formats: StreamFormats = {
        inputs: [{ sampleType: down, sampleRate: RATE, channels: 2, bufferFrames: 32 }],
        outputs: [{ sampleType: up, sampleRate: RATE, channels: 2, bufferFrames: 32 }],
      };
      // Sources already hold exactly what the wire type can carry, so the round trip is exact.
      const serverSignal = await writeSignal(
        join(dir, 'server-in.wav'),
        { sampleType: down, sampleRate: RATE, channels: 2 },
        SIGNAL_FRAMES,
        1,
      );
      const clientSignal = await writeSignal(
        join(dir, 'client-in.wav'),
        { sampleType: up, sampleRate: RATE, channels: 2 },
        SIGNAL_FRAMES,
        2,
      );
      const daemon = await startDaemon(formats, {
        sources: [{ kind: 'wav', path: join(dir, 'server-in.wav'), loop: false }],
        sinks: [{ kind: 'wav', path: join(dir, 'server-out.wav'), sampleType: 'f32' }],
      });

      const result = await streamWith(
        {
          host: '127.0.0.1',
          udpPort: daemon.server.udpPort,
          controlPort: daemon.server.controlPort,
        },
        {
          device: {
            backend: 'virtual',
            options: {
              sources: [{ kind: 'wav', path: join(dir, 'client-in.wav'), loop: false }],
              sinks: [{ kind: 'wav', path: join(dir, 'client-out.wav'), sampleType: 'f32' }],
            },
          },
          until: () => streamed(daemon, formats),
          playout: { latency: TARGET_LATENCY_FRAMES, driftCompensation: false },
        },
      );
      const serverStats = await daemon.engine.stats();
      await daemon.close();

      const received = result.stats.peers[0]!.received[0]!;
      expect(received).toMatchObject({
        lostBytes: 0,
        late: 0,
        duplicate: 0,
        underruns: 0,
        overrunDatagrams: 0,
      });
      expect(serverStats.socket.rejected).toEqual({});

      const atClient = matchingFrames(
        (await readWavFile(join(dir, 'client-out.wav'))).samples,
        serverSignal,
        2,
        false,
        countedSlips(received.skippedFrames, RATE),
      );
      const atServer = matchingFrames(
        (await readWavFile(join(dir, 'server-out.wav'))).samples,
        clientSignal,
        2,
        false,
        serverSlips(result),
      );
      expect(atClient.frames).toBeGreaterThan(RATE);
      expect(atServer.frames).toBeGreaterThan(RATE);
    },
  );
});

describe('a multi-stream server, streams of different formats and rates', () => {
  it('carries every stream both ways sample for sample', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const formats: StreamFormats = {
      inputs: [
        { sampleType: 'f32', sampleRate: RATE, channels: 2, bufferFrames: 32 },
        { sampleType: 'i16', sampleRate: 44_100, channels: 1, bufferFrames: 32 },
      ],
      outputs: [{ sampleType: 'i24', sampleRate: RATE, channels: 4, bufferFrames: 32 }],
    };
    const inputs = await Promise.all(
      formats.inputs.map((f, i) =>
        writeSignal(
          join(dir, `server-in-${i}.wav`),
          {
            sampleType: f.sampleType as 'f32' | 'i16',
            sampleRate: f.sampleRate,
            channels: f.channels,
          },
          3 * f.sampleRate,
          10 + i,
        ),
      ),
    );
    const output = await writeSignal(
      join(dir, 'client-in.wav'),
      { sampleType: 'i24', sampleRate: RATE, channels: 4 },
      SIGNAL_FRAMES,
      20,
    );
    const daemon = await startDaemon(formats, {
      sources: formats.inputs.map((_, i) => ({
        kind: 'wav',
        path: join(dir, `server-in-${i}.wav`),
        loop: false,
      })),
      sinks: [{ kind: 'wav', path: join(dir, 'server-out.wav'), sampleType: 'f32' }],
    });

    const result = await streamWith(
      { host: '127.0.0.1', udpPort: daemon.server.udpPort, controlPort: daemon.server.controlPort },
      {
        device: {
          backend: 'virtual',
          options: {
            sources: [{ kind: 'wav', path: join(dir, 'client-in.wav'), loop: false }],
            sinks: formats.inputs.map((_, i) => ({
              kind: 'wav',
              path: join(dir, `client-out-${i}.wav`),
              sampleType: 'f32',
            })),
          },
        },
        until: () => streamed(daemon, formats),
        playout: { latency: TARGET_LATENCY_FRAMES, driftCompensation: false },
      },
    );
    await daemon.close();

    for (const received of result.stats.peers[0]!.received) {
      expect(received).toMatchObject({ lostBytes: 0, late: 0, duplicate: 0, underruns: 0 });
    }
    for (const [i, format] of formats.inputs.entries()) {
      const recording = await readWavFile(join(dir, `client-out-${i}.wav`));
      expect(recording.format.channels).toBe(format.channels);
      const slips = countedSlips(
        result.stats.peers[0]!.received[i]!.skippedFrames,
        format.sampleRate,
      );
      expect(
        matchingFrames(recording.samples, inputs[i]!, format.channels, false, slips).frames,
      ).toBeGreaterThan(format.sampleRate);
    }
    const atServer = await readWavFile(join(dir, 'server-out.wav'));
    expect(
      matchingFrames(atServer.samples, output, 4, false, serverSlips(result)).frames,
    ).toBeGreaterThan(RATE);
  });
});
