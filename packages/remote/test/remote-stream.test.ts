import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioError, readWavFile } from '@syfala/audio';
import { openRemoteStream, RemoteError, type Block } from '@syfala/remote';
import { LOOPBACK_SERVE, serve, syfala } from '../../../apps/syfala/test/cli-process.js';
import { matchingFrames, tempDir, writeSignal } from '../../../apps/syfala/test/fixtures.js';

const RATE = 48_000;
const FORMAT = { sampleType: 'f32', sampleRate: RATE, channels: 2 } as const;
const FILE_FRAMES = RATE;
/**
 * Half a second of jitter buffer: exactness is asked of a stream that loses nothing, which a
 * loaded 2-core machine should not take from it (as apps/syfala/test/exact.test.ts).
 */
const PLAYOUT = { latency: 24_000, driftCompensation: false } as const;
const ECHO_PROCESSOR = new URL('./fixtures/echo-processor.mjs', import.meta.url);

/**
 * `syfala serve`, a real process, one stereo f32 stream each way: its input plays `source` (looped,
 * from the first period a client starts), its output is recorded to `recording`.
 */
async function serveFile(source: string, recording: string) {
  const format = `f32/${RATE}/2/32`;
  const server = syfala([
    'serve',
    ...LOOPBACK_SERVE,
    '--inputs',
    format,
    '--outputs',
    format,
    '--latency',
    String(PLAYOUT.latency),
    '--source',
    `wav:${source}`,
    '--sink',
    `wav:${recording}`,
  ]);
  const { udpPort, controlPort } = await serve(server);
  return {
    target: { host: '127.0.0.1', udpPort, controlPort },
    /** Stops the server (which finalises its recording) and reads what it recorded. */
    stop: async () => {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      return (await readWavFile(recording)).samples;
    },
  };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) all.set(part, (at += part.length) - part.length);
  return all;
}

describe('openRemoteStream against a served virtual card', () => {
  it('streams mode: blocks hold the served file sample for sample, and what is written arrives at the server', async () => {
    const dir = tempDir();
    const served = await writeSignal(join(dir, 'served.wav'), FORMAT, FILE_FRAMES, 21, 0.5);
    const sent = await writeSignal(join(dir, 'sent.wav'), FORMAT, FILE_FRAMES, 22, 0.5);
    const server = await serveFile(join(dir, 'served.wav'), join(dir, 'recorded.wav'));

    const stream = await openRemoteStream(server.target, { playout: PLAYOUT, latencyFrames: RATE });
    expect(stream.received).toEqual([{ ...FORMAT, bufferFrames: 32 }]);
    expect(stream.sent).toEqual([{ ...FORMAT, bufferFrames: 32 }]);
    // Written in one go, well ahead of the clock (the ring holds more than the file).
    const written = new Promise<void>((resolve, reject) =>
      stream.output.write([sent], (error) => (error ? reject(error) : resolve())),
    );
    const received: Float32Array[] = [];
    let frames = 0;
    let blocks = 0;
    // Received when the send ring ran dry: the whole file had left.
    let sentAt: number | undefined;
    // The jitter buffer's half second of silence (more if starting took long: the card runs from
    // before I/O starts), then more than the whole (looped) file; and a second after the last of
    // the file left, so that the server, whose card plays it half a second after it arrives, has
    // played it however late a loaded machine started streaming or ran the server's clock.
    for await (const block of stream.blocks as AsyncIterable<Block>) {
      received.push(block[0]!);
      frames += block[0]!.length / 2;
      if (sentAt === undefined && ++blocks % 64 === 0) {
        if ((await stream.stats()).rings!.sendUnderrunFrames > 0) sentAt = frames;
      }
      if (
        sentAt !== undefined &&
        frames >= Math.max(sentAt + RATE, PLAYOUT.latency + 1.5 * FILE_FRAMES)
      ) {
        break;
      }
    }
    await written;
    const stats = await stream.stats();
    await stream.close();
    expect(await stream.ended).toEqual({ kind: 'closed' });
    expect(stats.rings?.receiveOverrunFrames).toBe(0);

    const match = matchingFrames(concat(received), served, 2, true);
    expect(match.offset).toBe(0);
    expect(match.frames).toBeGreaterThan(FILE_FRAMES);
    const recorded = matchingFrames(await server.stop(), sent, 2);
    expect(recorded.offset).toBe(0);
    expect(recorded.frames).toBe(FILE_FRAMES);
  });

  it('processor mode: the processor sees the served file sample for sample, and what it sends arrives at the server', async () => {
    const dir = tempDir();
    const served = await writeSignal(join(dir, 'served.wav'), FORMAT, FILE_FRAMES, 23, 0.5);
    const server = await serveFile(join(dir, 'served.wav'), join(dir, 'recorded.wav'));
    const kept = new SharedArrayBuffer(4 * RATE * 2 * Float32Array.BYTES_PER_ELEMENT);
    const count = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);

    const stream = await openRemoteStream(server.target, {
      playout: PLAYOUT,
      processor: ECHO_PROCESSOR,
      processorOptions: { kept, count },
    });
    expect(stream).not.toHaveProperty('blocks');
    // A file and a half from the first sound on (the card runs from before I/O starts, so the
    // silence before it is the jitter buffer's half second, or more if starting took long).
    const samples = new Float32Array(kept);
    const seenFrames = (): number => {
      const n = Atomics.load(new Int32Array(count), 0);
      const first = samples.subarray(0, n).findIndex((sample) => sample !== 0);
      return first < 0 ? 0 : (n - first) / 2;
    };
    while (seenFrames() < 1.5 * FILE_FRAMES) await sleep(50);
    const [received] = (await stream.stats()).engine.peers[0]!.received;
    await stream.close();
    // Nothing played that had not arrived (no loss, no underrun): the stream lost nothing.
    expect(received!.lostFrames + received!.underrunFrames).toBe(0);

    const seen = new Float32Array(kept, 0, Atomics.load(new Int32Array(count), 0));
    const match = matchingFrames(seen, served, 2, true);
    expect(match.offset).toBe(0);
    expect(match.frames).toBeGreaterThan(FILE_FRAMES);
    const negated = served.map((sample) => -sample);
    const recorded = matchingFrames(await server.stop(), negated, 2, true);
    expect(recorded.offset).toBe(0);
    expect(recorded.frames).toBeGreaterThan(FILE_FRAMES / 2);
  });

  it('processor mode: a processor that throws stops the session and says why on the main thread', async () => {
    const dir = tempDir();
    await writeSignal(join(dir, 'served.wav'), FORMAT, FILE_FRAMES, 24, 0.5);
    const server = await serveFile(join(dir, 'served.wav'), join(dir, 'recorded.wav'));
    const stream = await openRemoteStream(server.target, {
      processor: ECHO_PROCESSOR,
      processorOptions: {
        kept: new SharedArrayBuffer(4),
        count: new SharedArrayBuffer(4),
        throwAfter: 100,
      },
    });
    const outcome = await stream.ended;
    expect(outcome.kind).toBe('failed');
    const error = (outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(AudioError);
    expect(error).toMatchObject({ code: 'PROCESSOR_FAILED' });
    expect(error.message).toBe('processor: process() threw: period 3200 went wrong');
    await server.stop();
  });

  it('refuses a processor module that is not one, naming it, and leaves nothing open', async () => {
    const dir = tempDir();
    await writeSignal(join(dir, 'served.wav'), FORMAT, FILE_FRAMES, 25, 0.5);
    const server = await serveFile(join(dir, 'served.wav'), join(dir, 'recorded.wav'));
    const notAProcessor = new URL('./remote-stream.test.ts', import.meta.url);
    await expect(
      openRemoteStream(server.target, { processor: notAProcessor }),
    ).rejects.toMatchObject({
      code: 'PROCESSOR_FAILED',
      message: expect.stringMatching(/^processor file:.*remote-stream\.test\.ts: cannot import it/),
    });
    await server.stop();
  });

  it('streams mode: a block that is not whole frames fails its write, naming the counts', async () => {
    const dir = tempDir();
    await writeSignal(join(dir, 'served.wav'), FORMAT, FILE_FRAMES, 26, 0.5);
    const server = await serveFile(join(dir, 'served.wav'), join(dir, 'recorded.wav'));
    const stream = await openRemoteStream(server.target);
    const failed = new Promise<Error | null | undefined>((resolve) => {
      stream.output.on('error', () => undefined);
      stream.output.write(new Float32Array(3), resolve);
    });
    expect(await failed).toEqual(
      new RemoteError(
        'BAD_OPTION',
        'remote stream: sent stream 0 has 2 channels: 3 samples are not whole frames',
      ),
    );
    await stream.close();
    await server.stop();
  });

  it('refuses bad options with one sentence naming the value', async () => {
    const target = { host: '127.0.0.1', udpPort: 1, controlPort: 1 };
    await expect(openRemoteStream(target, { latencyFrames: 0.5 })).rejects.toEqual(
      new RemoteError(
        'BAD_OPTION',
        'latencyFrames must be a whole number of frames from 1 to 1048576, got 0.5',
      ),
    );
    await expect(openRemoteStream(target, { processor: './mine.js' })).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringContaining('got "./mine.js"'),
    });
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
