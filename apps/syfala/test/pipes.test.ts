import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readWavFile } from '@syfala/audio';
import type { ControlStatsCounters } from '@syfala/proto';
import {
  BIN,
  LOOPBACK_SERVE,
  ROOT,
  expectOneSentence,
  jsonLines,
  serve,
  syfala,
  type Cli,
} from './cli-process.js';
import {
  countedSlips,
  hasSox,
  matchingFrames,
  needsSox,
  tempDir,
  writeSignal,
} from './fixtures.js';

const RATE = 48_000;
const FORMAT = { sampleType: 'i16', sampleRate: RATE, channels: 2 } as const;
const STREAMS = ['--inputs', 'i16/48000/2/32', '--outputs', 'i16/48000/2/32'];
/**
 * A second of jitter buffer each way, so that stalls of a loaded 2-core machine (shared with
 * other test runs) lose nothing in a minute of streaming: exactness is asked of a stream that
 * loses nothing.
 */
const LATENCY = ['--latency', '48000'];

/**
 * Runs a shell pipeline as a user types it, in its own process group (killed if the test ends
 * first). Resolves with each stage's exit status.
 */
async function shell(script: string): Promise<number[]> {
  const child = spawn('bash', ['-c', `${script}\necho "$\{PIPESTATUS[*]}" >&3`], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  let statuses = '';
  (child.stdio[3] as Readable)
    .setEncoding('utf8')
    .on('data', (chunk: string) => (statuses += chunk));
  const closed = once(child, 'close');
  onTestFinished(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  await closed;
  return statuses.trim().split(' ').map(Number);
}

/** The `syfala connect` command line, for a shell. */
function connect(port: number, flags: string): string {
  return `node ${BIN} connect 127.0.0.1:${port} ${LATENCY.join(' ')} ${flags}`;
}

function sox(...args: string[]): void {
  const result = spawnSync('sox', args, { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

/**
 * A server on loopback with one i16 stereo stream each way, in a fresh folder: it plays
 * served.wav (`frames` of seeded noise, looped) and records server.wav.
 */
async function serveSignal(
  seed: number,
  frames = RATE,
): Promise<{ dir: string; port: number; served: Float32Array; server: Cli }> {
  const dir = tempDir();
  const served = await writeSignal(join(dir, 'served.wav'), FORMAT, frames, seed);
  const server = syfala([
    'serve',
    ...LOOPBACK_SERVE,
    ...STREAMS,
    ...LATENCY,
    '--source',
    `wav:${join(dir, 'served.wav')}`,
    '--sink',
    `wav:${join(dir, 'server.wav')}`,
  ]);
  onTestFinished(async () => {
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
  return { dir, port: (await serve(server)).udpPort, served, server };
}

/**
 * The JSON summary `connect` wrote to stderr (its stdout carried audio), checked for a stream
 * that lost nothing: the jitter buffer plays every frame that arrived, once, so what reached the
 * card is what the server sent, except the frames it counted as skipped (slips: a loaded
 * machine's stalls can leave the buffer fuller than its target for half a second). Returns those.
 * (On a machine stalled for longer than the buffer, this fails first, naming the engine's
 * counters, not the pipe's.)
 */
function expectCleanStream(stderr: string): number {
  const summary = jsonLines(stderr).find((line) => line['type'] === 'summary') as
    { streams: { missingFrames: number; skippedFrames: number }[] } | undefined;
  expect(summary, stderr).toBeDefined();
  const { missingFrames, skippedFrames } = summary!.streams[0]!;
  expect(missingFrames, stderr).toBe(0);
  return skippedFrames;
}

/**
 * Both ways sample for sample, from the first frame: recorded.wav holds the server's looped
 * source for at least its length, and the server's sink holds what was played, all of it; each
 * side's recording leaves out exactly the frames that side counted as skipped, nothing else.
 */
async function expectExactBothWays(
  dir: string,
  served: Float32Array,
  played: Float32Array,
  clientSkipped: number,
  server: Cli,
): Promise<void> {
  const recording = await readWavFile(join(dir, 'recorded.wav'));
  const received = matchingFrames(
    recording.samples,
    served,
    2,
    true,
    countedSlips(clientSkipped, RATE),
  );
  expect(received.offset).toBe(0);
  expect(received.skipped).toBe(clientSkipped);
  expect(received.frames + received.spliced + received.skipped).toBeGreaterThanOrEqual(
    served.length / 2,
  );
  // The server's own counts, in its totals as the session closed: a stream that lost nothing
  // (on a machine stalled for longer than the buffer, this fails first, naming them).
  const closed = await server.logEvent('session-closed');
  const { local } = closed['totals'] as { local: ControlStatsCounters };
  expect({ lost: local.lostFrames, underruns: local.underruns }, server.stderr).toEqual({
    lost: 0,
    underruns: 0,
  });
  const serverSkipped = local.skippedFrames ?? 0;
  const serverRecording = await readWavFile(join(dir, 'server.wav'));
  const sent = matchingFrames(
    serverRecording.samples,
    played,
    2,
    false,
    countedSlips(serverSkipped, RATE),
  );
  expect(sent.offset).toBe(0);
  const { frames, spliced, skipped } = sent;
  expect({ frames: frames + spliced + skipped, skipped }, server.stderr).toEqual({
    frames: played.length / 2,
    skipped: serverSkipped,
  });
}

describe(`connect --record - and --play -: audio through Unix pipes${needsSox}`, () => {
  it.skipIf(!hasSox)(
    'carries a 60 s stream each way through sox, bit-exact: FLAC in on stdin, FLAC out of stdout',
    { timeout: 150_000 },
    async () => {
      const frames = 60 * RATE;
      const { dir, port, served, server } = await serveSignal(21, frames);
      const played = await writeSignal(join(dir, 'played.wav'), FORMAT, frames, 22);
      sox(join(dir, 'played.wav'), join(dir, 'played.flac'));

      const statuses = await shell(
        `sox ${dir}/played.flac -t wav - | ` +
          `${connect(port, '--play - --record - --duration 63')} 2>${dir}/client.err | ` +
          `sox -t wav - ${dir}/recorded.flac 2>${dir}/sox.err`,
      );
      expect(statuses).toEqual([0, 0, 0]);
      // sox reads the streamed header to the end without a word (0xffffffff: "premature EOF").
      expect(readFileSync(join(dir, 'sox.err'), 'utf8')).toBe('');
      const stderr = readFileSync(join(dir, 'client.err'), 'utf8');
      const skipped = expectCleanStream(stderr);
      expect(stderr).not.toMatch(/fell behind/);

      sox(join(dir, 'recorded.flac'), join(dir, 'recorded.wav'));
      await expectExactBothWays(dir, served, played, skipped, server);
    },
  );

  it.skipIf(!hasSox)(
    '--raw: headerless PCM in the stream format, read and written as sox -t raw says',
    { timeout: 30_000 },
    async () => {
      const { dir, port, served, server } = await serveSignal(31);
      const played = await writeSignal(join(dir, 'played.wav'), FORMAT, RATE, 32);
      const raw = '-t raw -e signed-integer -b 16 -r 48000 -c 2';

      const statuses = await shell(
        `sox ${dir}/played.wav -t raw - | ` +
          `${connect(port, '--play - --record - --raw --duration 3')} 2>${dir}/client.err | ` +
          `sox ${raw} - ${dir}/recorded.wav`,
      );
      expect(statuses).toEqual([0, 0, 0]);
      const stderr = readFileSync(join(dir, 'client.err'), 'utf8');
      expect(stderr).toContain(`sox reads it as ${raw} -`);
      const skipped = expectCleanStream(stderr);

      await expectExactBothWays(dir, served, played, skipped, server);
    },
  );

  it.skipIf(!hasSox)(
    "ends the session with one sentence and exit 0 when stdout's reader goes (| head -c 1000)",
    { timeout: 30_000 },
    async () => {
      const { dir, port } = await serveSignal(41);

      // No --duration: only the closed pipe ends it.
      const statuses = await shell(
        `${connect(port, '--record -')} 2>${dir}/client.err | head -c 1000 >${dir}/head.bin`,
      );
      expect(statuses).toEqual([0, 0]);
      const stderr = readFileSync(join(dir, 'client.err'), 'utf8');
      expect(stderr).toMatch(/^syfala: --record -: stdout's reader closed it \(EPIPE\)/m);
      const head = readFileSync(join(dir, 'head.bin'));
      expect(head).toHaveLength(1000);
      expect(head.subarray(0, 4).toString('latin1')).toBe('RIFF');
      // The data size sox writes to a pipe: "unknown, read to the end".
      expect(head.readUInt32LE(40)).toBe(0x7fff_f000);
    },
  );

  it.skipIf(!hasSox)(
    'a reader that stalls beyond the 2.7 s ring costs it frames, counted in one sentence, not the stream',
    { timeout: 30_000 },
    async () => {
      const { dir, port } = await serveSignal(51);

      const statuses = await shell(
        `${connect(port, '--record - --duration 6')} 2>${dir}/client.err | ` +
          '{ sleep 6; cat >/dev/null; }',
      );
      expect(statuses).toEqual([0, 0]);
      const stderr = readFileSync(join(dir, 'client.err'), 'utf8');
      expect(stderr).toMatch(
        /^syfala: --record -: stdout's reader fell behind: \d+ frames dropped$/m,
      );
      // The audio thread went on: everything the server sent was played into the ring in time.
      expectCleanStream(stderr);
    },
  );

  it.skipIf(!hasSox)(
    'a writer that stalls leaves silence in the stream, counted in one sentence',
    { timeout: 30_000 },
    async () => {
      const { dir, port } = await serveSignal(61);
      await writeSignal(join(dir, 'played.wav'), FORMAT, 2 * RATE, 62);

      // The 44-byte header and half a second, a 2 s stall, then the rest.
      const statuses = await shell(
        `{ head -c 96044 ${dir}/played.wav; sleep 2; tail -c +96045 ${dir}/played.wav; } | ` +
          `${connect(port, '--play - --duration 4')} >/dev/null 2>${dir}/client.err`,
      );
      expect(statuses).toEqual([0, 0]);
      const stderr = readFileSync(join(dir, 'client.err'), 'utf8');
      expect(stderr).toMatch(
        /^syfala: --play -: stdin fell behind: \d+ frames played as silence$/m,
      );
    },
  );

  it(
    'refuses --record - for an endpoint with several input streams, in one sentence',
    {
      timeout: 30_000,
    },
    async () => {
      const server = syfala([
        'serve',
        ...LOOPBACK_SERVE,
        '--inputs',
        'i16/48000/2/32,i16/48000/1/32',
      ]);
      onTestFinished(() => void server.child.kill('SIGTERM'));
      const { udpPort } = await serve(server);
      const client = syfala(['connect', `127.0.0.1:${udpPort}`, '--record', '-']);
      const { code } = await client.exited;
      expectOneSentence(
        { code, stderr: client.stderr },
        /--record - writes one stream to stdout, but .* has 2 input streams \(record them to files with --record FILE.wav\)/,
      );
      expect(client.stdout).toBe('');
    },
  );

  it('refuses --raw without a pipe to apply it to', { timeout: 30_000 }, async () => {
    const client = syfala(['connect', '127.0.0.1:9', '--record', 'take.wav', '--raw']);
    const { code } = await client.exited;
    expectOneSentence({ code, stderr: client.stderr }, /--raw needs --record - or --play -/);
  });
});
