import { JackRigError } from './errors.js';
import { jackEnv, jackTool, runCommand } from './exec.js';
import { ManagedProcess, sleep } from './process.js';
import { JackXrunLog, type JackXruns } from './xrun-log.js';
import { freeStaleJackSlots, readJackRegistry } from './registry.js';

/** The registry slot of the named server of this user, if any. */
async function registeredServer(
  name: string,
): Promise<{ pid: number; alive: boolean } | undefined> {
  const uid = process.getuid?.() ?? 0;
  return (await readJackRegistry())?.servers.find((s) => s.name === name && s.uid === uid);
}

/** A dummy-driver jackd: a sound card without hardware (DESIGN §7). */
export interface JackServerOptions {
  /** Server name (jackd -n); pick it per test, e.g. uniqueServerName('rig'). */
  name: string;
  /** Hz; default 48000. */
  sampleRate?: number;
  /** Frames per period; default 64. */
  periodFrames?: number;
  /** Dummy capture ports (system:capture_N); default 2. */
  captureChannels?: number;
  /** Dummy playback ports (system:playback_N); default 2. */
  playbackChannels?: number;
  /** How long jackd may take to accept clients; default 10 s. */
  startTimeoutMs?: number;
  /** Free stale registry slots before starting (see freeStaleJackSlots); default true. */
  freeStaleSlots?: boolean;
  /** The jackd binary; default "jackd" on PATH. */
  jackd?: string;
  /**
   * Run with real-time scheduling (jackd -R -P 70, as JACK users run it; needs root or an
   * rtprio limit), for benches. Default false: tests run --no-realtime (DESIGN §7).
   */
  realtime?: boolean;
}

const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS = 5_000;

let uniqueCounter = 0;

/**
 * A server name no other process of this machine is using: `<prefix>-<pid>-<n>`, after
 * $SYFALA_JACK_SERVER_PREFIX when set (people or jobs sharing a machine keep their servers apart:
 * `SYFALA_JACK_SERVER_PREFIX=ci1-`).
 */
export function uniqueServerName(prefix = 'syfala-rig'): string {
  const shared = process.env['SYFALA_JACK_SERVER_PREFIX'] ?? '';
  return `${shared}${prefix}-${process.pid}-${++uniqueCounter}`;
}

export function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new JackRigError(
      'BAD_OPTION',
      `${name}: expected an integer from 1 to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** A server name that is also a safe file name: 1-64 characters of [A-Za-z0-9._-]. */
export function serverName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new JackRigError(
      'BAD_OPTION',
      `name: expected 1-64 characters of [A-Za-z0-9._-], got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** Starts a named dummy jackd and resolves once it accepts clients. */
export async function startJackServer(options: JackServerOptions): Promise<JackServer> {
  const name = serverName(options.name);
  const sampleRate = positiveInteger('sampleRate', options.sampleRate ?? 48_000, 768_000);
  const periodFrames = positiveInteger('periodFrames', options.periodFrames ?? 64, 8192);
  const capture = positiveInteger('captureChannels', options.captureChannels ?? 2, 1024);
  const playback = positiveInteger('playbackChannels', options.playbackChannels ?? 2, 1024);
  if (options.freeStaleSlots ?? true) await freeStaleJackSlots();
  const holder = await registeredServer(name);
  if (holder?.alive) {
    throw new JackRigError(
      'SERVER_EXISTS',
      `jackd -n ${name}: a live server (pid ${holder.pid}) already has this name`,
    );
  }

  const jackd = options.jackd ?? 'jackd';
  // Dummy driver flags checked with `jackd -d dummy --help` (jackd2 1.9.21). No -w: it would
  // override -p (the driver derives the period from the wait time when one is given).
  const scheduling = options.realtime === true ? ['-R', '-P', '70'] : ['--no-realtime'];
  const args = ['-n', name, ...scheduling, '-d', 'dummy'];
  args.push('-r', String(sampleRate), '-p', String(periodFrames));
  args.push('-C', String(capture), '-P', String(playback));
  const xruns = new JackXrunLog();
  const child = new ManagedProcess(jackd, args, {
    env: jackEnv(name),
    onLine: (line) => xruns.line(line),
  });
  const server = new JackServer(name, sampleRate, periodFrames, child, xruns);

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exit) throw startError(name, child);
    // Ready = our jackd holds the name in the registry *and* answers a client: a jack_lsp alone
    // could be answered by another live server of the same name while ours is failing.
    const owner = await registeredServer(name);
    const probe = await runCommand('jack_lsp', ['-s', name], {
      env: jackEnv(name),
      timeoutMs: 2_000,
    }).catch(async (err: unknown) => {
      await child.stop();
      throw err;
    });
    if (owner?.pid === child.pid && probe.code === 0 && probe.stdout.includes('system:')) {
      return server;
    }
    if (child.exit) throw startError(name, child);
    if (Date.now() > deadline) {
      await child.stop();
      throw new JackRigError(
        'START_FAILED',
        `jackd -n ${name}: not accepting clients after ${options.startTimeoutMs ?? 10_000} ms; ` +
          `jackd said: ${child.tail() || '(nothing)'}`,
      );
    }
    await sleep(READY_POLL_MS);
  }
}

function startError(name: string, child: ManagedProcess): JackRigError {
  if (child.spawnError instanceof JackRigError) return child.spawnError;
  const said = child.tail() || '(nothing)';
  const how = `jackd -n ${name} exited ${child.exit?.code ?? child.exit?.signal} while starting`;
  if (/too many servers already active/i.test(said)) {
    return new JackRigError(
      'TOO_MANY_SERVERS',
      `${how}: all 8 slots of JACK's server registry are taken (live servers, or stale ones ` +
        `freeStaleJackSlots() could not free); jackd said: ${said}`,
    );
  }
  if (/server already active/i.test(said)) {
    return new JackRigError('SERVER_EXISTS', `${how}: a live server has this name: ${said}`);
  }
  const spawnFailure = child.spawnError ? ` (${child.spawnError.message})` : '';
  return new JackRigError('START_FAILED', `${how}${spawnFailure}; jackd said: ${said}`);
}

/** A running named jackd. Stop its clients first, then the server (DESIGN §7). */
export class JackServer {
  readonly name: string;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly process: ManagedProcess;
  readonly #xruns: JackXrunLog | undefined;
  #stopping: Promise<void> | null = null;

  constructor(
    name: string,
    sampleRate: number,
    periodFrames: number,
    process: ManagedProcess,
    xruns?: JackXrunLog,
  ) {
    this.name = name;
    this.sampleRate = sampleRate;
    this.periodFrames = periodFrames;
    this.process = process;
    this.#xruns = xruns;
  }

  /** The xruns jackd has reported since it started (null: not a jackd, e.g. PipeWire). */
  get xruns(): JackXruns | null {
    return this.#xruns?.counts ?? null;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The environment for a JACK client of this server (JACK_DEFAULT_SERVER and friends). */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return jackEnv(this.name, extra);
  }

  #live(): void {
    if (this.#stopping) throw new JackRigError('STOPPED', `jack server ${this.name}: stopped`);
  }

  /** jack_connect src dst. */
  async connect(source: string, destination: string): Promise<void> {
    this.#live();
    await jackTool(this.name, 'jack_connect', [source, destination], this.env());
  }

  /** jack_disconnect src dst. */
  async disconnect(source: string, destination: string): Promise<void> {
    this.#live();
    await jackTool(this.name, 'jack_disconnect', [source, destination], this.env());
  }

  /**
   * Port names, in registration order. A string filters as jack_lsp does (substring); a RegExp
   * is matched here.
   */
  async ports(pattern?: string | RegExp): Promise<string[]> {
    this.#live();
    const args = typeof pattern === 'string' ? [pattern] : [];
    const names = (await jackTool(this.name, 'jack_lsp', args, this.env()))
      .split('\n')
      .filter((line) => line.trim() && !/^\s/.test(line));
    return pattern instanceof RegExp ? names.filter((n) => pattern.test(n)) : names;
  }

  /** The ports connected to `port` (either direction). */
  async connections(port: string): Promise<string[]> {
    this.#live();
    const out = await jackTool(this.name, 'jack_lsp', ['-c', port], this.env());
    // jack_lsp -c: a port line, then its connections indented by three spaces; the filter is a
    // substring match, so keep only the block of the exact port.
    const result: string[] = [];
    let inBlock = false;
    for (const line of out.split('\n')) {
      if (!line.trim()) continue;
      if (/^\s/.test(line)) {
        if (inBlock) result.push(line.trim());
      } else {
        inBlock = line === port;
      }
    }
    return result;
  }

  /**
   * Waits until every named port exists (a client registers ports after it starts). With
   * `owner`, the client that registers them: its exit ends the wait at once. A listing that
   * fails (jack_lsp cannot open its client on a loaded server) is tried again until the deadline,
   * whose error then names it.
   */
  async waitForPorts(
    names: readonly string[],
    timeoutMs = 10_000,
    owner?: ManagedProcess,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let listingFailed: JackRigError | undefined;
    for (;;) {
      let missing = [...names];
      try {
        const present = new Set(await this.ports());
        missing = names.filter((n) => !present.has(n));
        listingFailed = undefined;
      } catch (error) {
        if (!(error instanceof JackRigError && error.code === 'COMMAND_FAILED')) throw error;
        listingFailed = error;
      }
      if (missing.length === 0) return;
      const exit = owner?.exit;
      if (exit) {
        throw new JackRigError(
          'COMMAND_FAILED',
          `${owner!.command} on ${this.name} exited ${exit.code ?? exit.signal} before registering its ports: ${owner!.spawnError?.message ?? owner!.tail()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new JackRigError(
          'COMMAND_FAILED',
          `jack server ${this.name}: ports ${missing.join(', ')} did not appear within ${timeoutMs} ms` +
            (listingFailed ? ` (the last listing failed: ${listingFailed.message})` : ''),
          { cause: listingFailed },
        );
      }
      await sleep(READY_POLL_MS);
    }
  }

  /**
   * SIGTERM, wait for jackd to exit, SIGKILL after timeoutMs. A killed jackd keeps its registry
   * slot, so then the stale slots are freed. Idempotent.
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    this.#stopping ??= this.halt(timeoutMs);
    return this.#stopping;
  }

  /** Ends the server's process, once; what a server of another kind leaves is cleaned here. */
  protected async halt(timeoutMs: number): Promise<void> {
    const exit = await this.process.stop(timeoutMs);
    if (exit.signal === 'SIGKILL') await freeStaleJackSlots();
  }
}
