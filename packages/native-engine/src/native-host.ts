import { fork, type ChildProcess } from 'node:child_process';
import { PendingReplies } from '@syfala/audio';
import { SyfalaError } from '@syfala/proto';
import { NativeAddonError } from './errors.js';
import type {
  DeviceClock,
  HostCapabilities,
  HostEvent,
  HostRequest,
  HostResults,
} from './host-messages.js';

const ENTRY = new URL('../host/native-host.mjs', import.meta.url);

/**
 * Node's own code on 2 MB pages where the kernel allows it (silent where it does not): on a
 * virtual machine, every 4 KB mapping of the process JACK switches into each period costs its
 * graph time (bench/RESULTS.md, twenty-fifth session).
 */
const HOST_NODE_FLAGS = ['--use-largepages=silent'];

/** What an engine in the host hears of: its device's events, and the host's end. */
export interface HostedEngineListener {
  device(flags: number, clock: DeviceClock | undefined): void;
  died(error: SyfalaError): void;
}

/**
 * The process the native engines run in, a child of this one: its JACK or CoreAudio client and
 * the engine's threads share it with nothing but a small Node main loop, so the parent's heap,
 * code and work (control, discovery, the status line) cost the device's real-time callback
 * nothing. The parent asks over the IPC channel; the child ends with that channel.
 */
export class NativeHost {
  readonly capabilities: HostCapabilities;
  readonly #child: ChildProcess;
  readonly #replies = new PendingReplies<HostRequest['op']>();
  readonly #engines = new Map<number, HostedEngineListener>();

  private constructor(child: ChildProcess, capabilities: HostCapabilities) {
    this.#child = child;
    this.capabilities = capabilities;
    child.on('message', (event: HostEvent) => this.#hear(event));
    child.on('exit', (code, signal) =>
      this.#die(signal === null ? `exit code ${code}` : `signal ${signal}`),
    );
    child.on('error', (error) => this.#die(error.message));
    // Waiting for a reply keeps this process up (ask); the child alone does not.
    child.unref();
    child.channel?.unref();
  }

  /** Forks the engine process and waits for its addon to load (NativeAddonError if it does not). */
  static async start(): Promise<NativeHost> {
    const child = fork(ENTRY, [], {
      execArgv: HOST_NODE_FLAGS,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let stopListening = (): void => undefined;
    const first = await new Promise<HostEvent | Error>((resolve) => {
      const failed = (why: string): void =>
        resolve(new SyfalaError('ENGINE_FAILED', `the audio engine process ${why} as it started`));
      const heard = (event: HostEvent): void => resolve(event);
      const errored = (error: Error): void => failed(`failed (${error.message})`);
      const exited = (code: number | null, signal: NodeJS.Signals | null): void =>
        failed(`stopped (${signal ?? `exit code ${code}`})`);
      child.once('message', heard).once('error', errored).once('exit', exited);
      stopListening = () =>
        void child.off('message', heard).off('error', errored).off('exit', exited);
    });
    stopListening();
    if (first instanceof Error) throw first;
    if (first.type === 'ready') return new NativeHost(child, first);
    child.kill();
    if (first.type === 'failed' && (first.code === 'NOT_FOUND' || first.code === 'LOAD_FAILED')) {
      throw new NativeAddonError(first.code, first.message);
    }
    throw new SyfalaError('ENGINE_FAILED', `the audio engine process said ${first.type} first`);
  }

  /** Why the process is gone, once it is. */
  get dead(): Error | undefined {
    return this.#replies.dead;
  }

  /** Does what `request` says in the engine process; rejects with its error's code and message. */
  ask<Op extends HostRequest['op']>(
    request: Extract<HostRequest, { op: Op }>,
  ): Promise<HostResults[Op]> {
    this.#child.channel?.ref();
    return this.#replies
      .ask<HostResults[Op]>(request.op, (id) =>
        this.#child.send({ ...request, id }, (error) => {
          if (error !== null) this.#die(`closed its channel (${error.message})`);
        }),
      )
      .finally(() => {
        if (this.#replies.size === 0) this.#child.channel?.unref();
      });
  }

  /** Engine `engine`'s events and the host's end go to `listener`, until detached. */
  attach(engine: number, listener: HostedEngineListener): void {
    this.#engines.set(engine, listener);
  }

  detach(engine: number): void {
    this.#engines.delete(engine);
  }

  #hear(event: HostEvent): void {
    if (event.type === 'done') this.#replies.resolve(event.id, event.result);
    else if (event.type === 'error') {
      this.#replies.reject(event.id, () => new SyfalaError(event.code, event.message));
    } else if (event.type === 'device')
      this.#engines.get(event.engine)?.device(event.flags, event.clock);
  }

  #die(why: string): void {
    const error = new SyfalaError(
      'ENGINE_FAILED',
      `the audio engine process (pid ${this.#child.pid}) stopped: ${why}`,
    );
    if (!this.#replies.die(error)) return;
    for (const listener of this.#engines.values()) listener.died(error);
    this.#engines.clear();
  }
}

let shared: Promise<NativeHost> | undefined;

/**
 * This process's engine host, forked at first use and shared, as the addon would be: a JACK probe's
 * kept client (probeJack's keepFor) is there for the device that opens next. A host that died is
 * replaced at the next call. When the addon does not load, `missing` makes the backend's
 * NOT_INSTALLED error of the NativeAddonError.
 */
export async function nativeHost(missing: (error: NativeAddonError) => Error): Promise<NativeHost> {
  const starting = (shared ??= NativeHost.start());
  let host: NativeHost;
  try {
    host = await starting;
  } catch (error) {
    if (shared === starting) shared = undefined;
    throw error instanceof NativeAddonError ? missing(error) : error;
  }
  if (host.dead === undefined) return host;
  if (shared === starting) shared = undefined;
  return nativeHost(missing);
}
