/**
 * The flood bench's load generator, in a child process of its own (load-child.ts) so that its
 * busy event loop neither slows the streaming client nor counts as the server's CPU.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FloodCounts } from './flood-sources.js';
import type { ServerPorts } from './server-process.js';

/** (a) junk datagrams, (b) TCP connections, (c) UDP control handshake spam. */
export type FloodKind = 'datagrams' | 'tcp' | 'handshakes';

export interface LoadRequest {
  readonly kinds: readonly FloodKind[];
  readonly durationMs: number;
  readonly ports: ServerPorts;
  /** Source ports (sockets) for each datagram kind. */
  readonly sockets: number;
}

export class LoadProcess {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(): Promise<LoadProcess> {
    const child = fork(fileURLToPath(new URL('./load-child.ts', import.meta.url)), {
      execArgv: process.execArgv,
    });
    await once(child, 'spawn');
    return new LoadProcess(child);
  }

  /** Runs the kinds at once for the duration; resolves with what was sent. */
  async run(request: LoadRequest): Promise<FloodCounts> {
    const reply = once(this.#child, 'message');
    this.#child.send(request);
    const [counts] = (await reply) as [FloodCounts];
    return counts;
  }

  async close(): Promise<void> {
    const exited = once(this.#child, 'exit');
    this.#child.disconnect();
    await exited;
  }
}
