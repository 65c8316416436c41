import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '@syfala/audio';
import { LOOPBACK_SERVE, jsonLines, serve, syfala } from './cli-process.js';
import { matchingFrames, tempDir, writeSignal } from './fixtures.js';

const RATE = 48_000;
const FILE_FRAMES = RATE;
/** Streaming time: the file, the jitter buffer's delay, and room to spare. */
const DURATION = ['--duration', '3'];
/**
 * Half a second of jitter buffer, so that nothing is late even when other work stalls these
 * processes on a loaded 2-core machine: exactness is asked of a stream that loses nothing (the
 * 10 ms default underruns here under load). Concealment is the default ('fade'): it must leave
 * such a stream alone.
 */
const LATENCY = ['--latency', '24000'];

/** The formats of a server with one stereo stream each way of `type`. */
function formats(type: string): string[] {
  const format = `${type}/${RATE}/2/32`;
  return ['--inputs', format, '--outputs', format];
}

/**
 * Serves one stereo `type` stream each way with `serveFlags`, streams with it through `connect`
 * with `connectFlags` until --duration, then stops the server; both must exit 0. Returns the
 * client's stdout.
 */
async function streamThroughCli(
  type: string,
  serveFlags: readonly string[],
  connectFlags: readonly string[],
): Promise<string> {
  const server = syfala(['serve', ...LOOPBACK_SERVE, ...formats(type), ...LATENCY, ...serveFlags]);
  const { udpPort } = await serve(server);
  const client = syfala([
    'connect',
    `127.0.0.1:${udpPort}`,
    ...connectFlags,
    ...DURATION,
    ...LATENCY,
    '--json',
  ]);
  expect((await client.exited).code).toBe(0);
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
  return client.stdout;
}

describe('a stream that loses nothing is bit-exact end to end through the CLI (virtual card)', () => {
  it.each(['f32', 'f64'] as const)(
    '%s: connect --play FILE arrives in serve --sink wav: from its first frame to its last',
    { timeout: 30_000 },
    async (type) => {
      const dir = tempDir();
      const played = join(dir, 'played.wav');
      const recorded = join(dir, 'recorded.wav');
      const format = { sampleType: type, sampleRate: RATE, channels: 2 } as const;
      const signal = await writeSignal(played, format, FILE_FRAMES, 11, 0.5);
      await streamThroughCli(type, ['--sink', `wav:${recorded}`], ['--play', played]);

      const recording = await readWavFile(recorded);
      expect(recording.format.sampleType).toBe(type);
      const match = matchingFrames(recording.samples, signal, 2);
      // Silence until the jitter buffer's delay, then the whole file, sample for sample.
      expect(match.offset).toBe(0);
      expect(match.frames).toBe(FILE_FRAMES);
      let peak = 0;
      for (const sample of recording.samples) peak = Math.max(peak, Math.abs(sample));
      expect(peak).toBe(0.5);
    },
  );

  it.each(['f32', 'f64'] as const)(
    '%s: serve --source wav:FILE arrives in connect --record from its first frame on',
    { timeout: 30_000 },
    async (type) => {
      const dir = tempDir();
      const source = join(dir, 'source.wav');
      const recorded = join(dir, 'recorded.wav');
      const format = { sampleType: type, sampleRate: RATE, channels: 2 } as const;
      const signal = await writeSignal(source, format, FILE_FRAMES, 12, 0.5);
      const stdout = await streamThroughCli(
        type,
        ['--source', `wav:${source}`],
        ['--record', recorded],
      );
      const summary = jsonLines(stdout).find((line) => line['type'] === 'summary') as {
        streams: { framesReceived: number; missingFrames: number }[];
      };
      // Nothing played that had not arrived (no loss, no underrun): the stream lost nothing.
      expect(summary.streams[0]!.missingFrames).toBe(0);

      const recording = await readWavFile(recorded);
      expect(recording.format.sampleType).toBe(type);
      // The server's file starts when this client's I/O does, and loops.
      const match = matchingFrames(recording.samples, signal, 2, true);
      expect(match.offset).toBe(0);
      // Every frame played is the file's, exactly, across the loop's seam, to the end of the
      // stream. If the client took longer to close than its buffer lasted once the server had
      // stopped sending, the end fades out: the concealer's hold and fade, then silence.
      expect(match.frames).toBeGreaterThan(FILE_FRAMES);
      const after = recording.samples.subarray((match.start + match.frames) * 2);
      // LossConcealer's HOLD_SECONDS + FADE_SECONDS (@syfala/dataplane), in stereo samples.
      const fadeOut = 0.025 * RATE * 2;
      expect(after.findLastIndex((sample) => sample !== 0)).toBeLessThan(fadeOut);
    },
  );
});
