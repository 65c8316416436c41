import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { INSTALL_HINT, JackRigError } from './errors.js';

/** Lines kept from a process's output, for error messages and late parsing. */
const OUTPUT_LINES_KEPT = 2_000;

export interface ManagedProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each output line (stdout and stderr; '\r' also ends a line). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process the rig started (jackd, jack_iodelay, a bridge): its output as lines, its exit
 * as a promise, and a stop() that escalates SIGTERM → SIGKILL and always waits for the exit.
 */
export class ManagedProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly exited: Promise<ProcessExit>;
  /** The last lines of stdout and stderr, interleaved in arrival order. */
  readonly lines: string[] = [];
  #child: ChildProcessByStdio<null, Readable, Readable>;
  #exit: ProcessExit | null = null;
  #spawnError: Error | null = null;

  constructor(command: string, args: readonly string[], options: ManagedProcessOptions = {}) {
    this.command = command;
    this.args = args;
    this.#child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (stream: Readable, name: 'stdout' | 'stderr'): void => {
      let partial = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (partial + chunk).split(/\r\n|\r|\n/);
        partial = parts.pop() ?? '';
        for (const line of parts) this.#line(line, name, options.onLine);
      });
      stream.on('end', () => {
        if (partial) this.#line(partial, name, options.onLine);
        partial = '';
      });
    };
    collect(this.#child.stdout, 'stdout');
    collect(this.#child.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (err: NodeJS.ErrnoException) => {
        this.#spawnError =
          err.code === 'ENOENT'
            ? new JackRigError('JACK_MISSING', `${command}: not found (${INSTALL_HINT})`, {
                cause: err,
              })
            : err;
        this.#exit = { code: null, signal: null };
        resolve(this.#exit);
      });
      this.#child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  #line(line: string, stream: 'stdout' | 'stderr', onLine: ManagedProcessOptions['onLine']): void {
    this.lines.push(line);
    if (this.lines.length > OUTPUT_LINES_KEPT) this.lines.shift();
    onLine?.(line, stream);
  }

  /** The OS process id (undefined if it could not be spawned). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The exit, once it happened. */
  get exit(): ProcessExit | null {
    return this.#exit;
  }

  /** Set when the program could not be started at all (JACK_MISSING for a missing binary). */
  get spawnError(): Error | null {
    return this.#spawnError;
  }

  /** The last `count` output lines joined for a message. */
  tail(count = 12): string {
    return this.lines
      .filter((l) => l.trim())
      .slice(-count)
      .join(' | ');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit === null) this.#child.kill(signal);
  }

  /** SIGTERM (or `signal`), then SIGKILL after timeoutMs; resolves once the process is gone. */
  async stop(timeoutMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
