import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { mountSmallFileSystem, type SmallFileSystem } from '@syfala/jack-rig';
import {
  LOOPBACK_SERVE,
  expectOneSentence,
  jsonLines,
  serve,
  syfala,
  type Cli,
} from './cli-process.js';
import { hasSox, needsSox } from './fixtures.js';

const RESOLVE = ['--timeout', '300'];

/** A tmpfs for this test, unmounted when it ends; the test is skipped (saying why) if it can't. */
async function smallDisk(bytes: number, ctx: TestContext): Promise<SmallFileSystem> {
  const disk = await mountSmallFileSystem(bytes);
  if (typeof disk === 'string') ctx.skip(disk);
  onTestFinished(() => disk.unmount());
  return disk;
}

/** sox reads the whole file without a warning (a cut-short WAV says "premature EOF"); its frames. */
function soxFrames(file: string): number {
  const stat = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8' });
  expect(stat.status).toBe(0);
  expect(stat.stderr).not.toMatch(/WARN|premature/i);
  return Number(spawnSync('sox', ['--i', '-s', file], { encoding: 'utf8' }).stdout);
}

function statsLines(cli: Cli): Record<string, unknown>[] {
  return jsonLines(cli.stdout).filter((line) => line['type'] === 'stats');
}

describe(`a full disk${needsSox}`, () => {
  it.skipIf(!hasSox)(
    'connect --record stops at once: one sentence naming the file, exit 1, a JSON summary last, and a WAV sox reads',
    { timeout: 30_000 },
    async (ctx) => {
      const disk = await smallDisk(64 * 1024, ctx);
      const server = syfala(['serve', ...LOOPBACK_SERVE, '--log', 'json']);
      const { udpPort } = await serve(server);
      const recording = join(disk.dir, 'take.wav');
      const client = syfala([
        'connect',
        `127.0.0.1:${udpPort}`,
        ...RESOLVE,
        '--record',
        recording,
        '--duration',
        '10',
        '--json',
      ]);
      const { code } = await client.exited;

      expectOneSentence(
        { code, stderr: client.stderr },
        /^syfala: cannot write \S+take\.wav: ENOSPC: no space left on device, write \(the file keeps the \d+ frames written before\)$/,
      );
      expect(client.stderr).toContain(recording);
      const lines = client.stdout.trimEnd().split('\n');
      expect(jsonLines(client.stdout)).toHaveLength(lines.length);
      const summary = jsonLines(client.stdout).at(-1)!;
      expect(summary).toMatchObject({ type: 'summary', recorded: [recording] });
      expect(summary['failed']).toBe(client.stderr.trimEnd().replace(/^syfala: /, ''));

      const saved = Number(/keeps the (\d+) frames/.exec(client.stderr)![1]);
      expect(saved).toBeGreaterThan(0);
      expect(soxFrames(recording)).toBe(saved);
      // The session was stopped as usual, not dropped.
      expect(await server.logEvent('session-closed')).toMatchObject({ reason: 'normal' });
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    },
  );

  it.skipIf(!hasSox)(
    'serve --sink: the sink stops with a log line and a WAV sox reads; both sessions stream on',
    { timeout: 40_000 },
    async (ctx) => {
      const disk = await smallDisk(1024 * 1024, ctx);
      const sink = join(disk.dir, 'sink.wav');
      const server = syfala([
        'serve',
        ...LOOPBACK_SERVE,
        '--log',
        'json',
        '--max-sessions',
        '2',
        '--sink',
        `wav:${sink}`,
      ]);
      const { udpPort } = await serve(server);
      const connect = (seconds: string): Cli =>
        syfala(['connect', `127.0.0.1:${udpPort}`, ...RESOLVE, '--duration', seconds, '--json']);
      const first = connect('6');
      await first.jsonLine('stdout', (line) => line['type'] === 'stats');
      disk.fill();

      const failed = await server.logEvent('sink-failed', 10_000);
      expect(failed).toMatchObject({ output: 0, path: sink });
      expect(failed['reason']).toMatch(/^ENOSPC/);
      const before = statsLines(first).length;
      const second = connect('1.5');
      expect(await second.exited).toEqual({ code: 0, signal: null });
      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(first.stderr + second.stderr).toBe('');

      // The first session went on receiving after the failure.
      const stats = statsLines(first);
      expect(stats.length).toBeGreaterThan(before);
      expect(stats.at(-1)!['datagramsReceived']).toBeGreaterThan(
        stats[before - 1]!['datagramsReceived'] as number,
      );
      for (const client of [first, second]) {
        const summary = jsonLines(client.stdout).at(-1)!;
        expect(summary).toMatchObject({ type: 'summary' });
        expect(summary['ended']).toBeUndefined();
        expect(
          (summary['streams'] as { framesReceived: number }[])[0]!.framesReceived,
        ).toBeGreaterThan(0);
      }
      expect(jsonLines(server.stderr).filter((l) => l['event'] === 'session-closed')).toMatchObject(
        [{ reason: 'normal' }, { reason: 'normal' }],
      );

      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      await server.logEvent('stopped');
      expect(soxFrames(sink)).toBe(failed['savedFrames']);
    },
  );
});
