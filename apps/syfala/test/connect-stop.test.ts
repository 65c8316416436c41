import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sessionStop } from '../src/commands/connect/stop.js';
import { ROOT } from './cli-process.js';

/** The built module (`tsc -b` first), as the CLI runs it. */
const STOP = join(ROOT, 'apps/syfala/dist/commands/connect/stop.js');

/** A process that streams until its session stop says so, then prints why and exits 0. */
function stoppable(): { child: ReturnType<typeof spawn>; output: () => string } {
  const script =
    `const { sessionStop } = await import(${JSON.stringify(STOP)});` +
    'const stop = sessionStop({});' +
    // What keeps a real session's process alive: its sockets.
    'const sockets = setInterval(() => {}, 60_000);' +
    'const cause = stop.until();' +
    "process.stdout.write('streaming\\n');" +
    'process.stdout.write(`${await cause}\\n`);' +
    'stop.dispose();' +
    'clearInterval(sockets);';
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

describe('the session stop', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'a real %s to the process stops the session, which then exits by itself',
    async (signal) => {
      const { child, output } = stoppable();
      const exited = once(child, 'exit');
      await new Promise<void>((resolve) =>
        child.stdout!.on('data', () => output().includes('streaming') && resolve()),
      );
      child.kill(signal);
      expect(await exited).toEqual([0, null]);
      expect(output()).toBe(`streaming\n${signal}\n`);
    },
  );

  it('--duration stops it that long after streaming starts', async () => {
    const stop = sessionStop({ durationMs: 300 });
    onTestFinished(() => stop.dispose());
    const started = performance.now();
    expect(await stop.until()).toBe('duration');
    // setTimeout may fire up to a millisecond early by its own rounding.
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
  });

  it("another end (stdout's reader gone) stops it", async () => {
    const stop = sessionStop({ durationMs: 60_000, other: Promise.resolve('EPIPE') });
    onTestFinished(() => stop.dispose());
    expect(await stop.until()).toBe('other');
  });

  it('listens for Ctrl-C from its making to dispose(), then leaves it to Node', () => {
    const before = process.listenerCount('SIGINT');
    const stop = sessionStop({ durationMs: 60_000 });
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(0);
    void stop.until();
    stop.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
