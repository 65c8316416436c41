import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';
import { sleep } from './fixtures.js';

// The real command, as a user runs it: the built bin in a child process (`tsc -b` first).
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The `syfala` command's bin, as the package's `bin` field names it. */
export const BIN = join(ROOT, 'apps/syfala/bin/syfala.mjs');
/** The flags that run a command on a JACK server the test started (a dummy jackd, by name). */
export function onJack(server: { readonly name: string }): string[] {
  return ['--backend', 'jack', '--jack-server', server.name];
}

/** Serve flags that keep every packet on 127.0.0.1 (no mDNS; no multicast on a loopback bind). */
export const LOOPBACK_SERVE = [
  '--bind',
  '127.0.0.1',
  '--no-mdns',
  '--udp-port',
  '0',
  '--control-port',
  '0',
];

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * One run of `node apps/syfala/bin/syfala.mjs …`, or with `asInstalled` of the bin itself (its
 * shebang's Node flags apply), its output collected as it comes.
 */
export class Cli {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';
  #running = true;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = process.env, asInstalled = false) {
    const [command, argv] = asInstalled ? [BIN, args] : [process.execPath, [BIN, ...args]];
    this.child = spawn(command, argv, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = once(this.child, 'close').then(([code, signal]) => {
      this.#running = false;
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  get running(): boolean {
    return this.#running;
  }

  /** Resolves with the first JSON line of `stream` that `match` accepts. */
  async jsonLine(
    stream: 'stdout' | 'stderr',
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = jsonLines(this[stream]).find(match);
      if (found !== undefined) return found;
      if (!this.running || Date.now() > deadline) {
        throw new Error(`no such ${stream} line; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await sleep(20);
    }
  }

  /** The serve log's line for `event`. */
  logEvent(event: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.jsonLine('stderr', (line) => line['event'] === event, timeoutMs);
  }
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The first peer of serve's last `stats` log line (its counters so far), if it logged one. */
export function lastServerPeerStats(stderr: string): Record<string, number> | undefined {
  const stats = jsonLines(stderr).filter((line) => line['event'] === 'stats');
  return (stats.at(-1)?.['peers'] as Record<string, number>[] | undefined)?.[0];
}

/** Starts the CLI (in `env`); a test that ends with it still running kills it. */
export function syfala(
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  asInstalled?: boolean,
): Cli {
  const cli = new Cli(args, env, asInstalled);
  onTestFinished(() => {
    if (cli.running) cli.child.kill('SIGKILL');
  });
  return cli;
}

/** `syfala serve` on loopback, once its log says it listens: the ports it actually bound. */
export async function serve(
  cli: Cli,
): Promise<{ udpPort: number; controlPort: number; id: string }> {
  const listening = await cli.logEvent('listening');
  return {
    udpPort: listening['udpPort'] as number,
    controlPort: listening['controlPort'] as number,
    id: listening['id'] as string,
  };
}

/** An expected error: exit 1, one line on stderr, `syfala: ` first, no stack. */
export function expectOneSentence(
  result: { code: number | null; stderr: string },
  pattern: RegExp,
): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^syfala: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}
