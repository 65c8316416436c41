/**
 * The server the flood and churn benches run against, in a child process of its own so that its
 * CPU, memory and file descriptors are measured apart from the load (server-child.ts). Loopback
 * only: it binds 127.0.0.1.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { EngineStats } from '@syfala/audio';
import type { ServerStats } from '@syfala/network';
import type { StreamFormats } from '@syfala/proto';
import type { ProcessSample } from './process-sample.js';

/** `syfala serve`'s default streams: one f32 stereo stream each way. */
export const BENCH_FORMATS: StreamFormats = {
  inputs: [{ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 }],
  outputs: [{ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 }],
};

export interface ServerPorts {
  /** Discovery and UDP control. */
  readonly udpPort: number;
  readonly controlPort: number;
  /** The audio engine's socket. */
  readonly audioPort: number;
}

export interface ServerSample {
  /** The server's performance.now() when sampled: CPU load comes from differences. */
  readonly timeMs: number;
  readonly process: ProcessSample;
  /** The main thread's event-loop delay since the previous sample, in milliseconds. */
  readonly eventLoop: { readonly p99Ms: number; readonly maxMs: number };
  readonly server: ServerStats;
  readonly engine: EngineStats;
}

export type ServerRequest =
  | { readonly type: 'sample'; readonly id: number; readonly collectGarbage: boolean }
  | { readonly type: 'close' };

export type ServerReply =
  | ({ readonly type: 'ready' } & ServerPorts)
  | { readonly type: 'sample'; readonly id: number; readonly sample: ServerSample }
  | { readonly type: 'closed' };

export class ServerProcess {
  readonly ports: ServerPorts;
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (sample: ServerSample) => void>();
  #nextId = 0;

  private constructor(child: ChildProcess, ports: ServerPorts) {
    this.#child = child;
    this.ports = ports;
    child.on('message', (reply: ServerReply) => {
      if (reply.type !== 'sample') return;
      this.#waiting.get(reply.id)?.(reply.sample);
      this.#waiting.delete(reply.id);
    });
  }

  /** Forks the server (through the same TypeScript loader this process runs with). */
  static async start(): Promise<ServerProcess> {
    const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), {
      execArgv: process.execArgv,
    });
    const [reply] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => Promise.reject(new Error('the bench server exited'))),
    ])) as [ServerReply];
    if (reply.type !== 'ready') throw new Error(`the bench server said ${reply.type}`);
    const { udpPort, controlPort, audioPort } = reply;
    return new ServerProcess(child, { udpPort, controlPort, audioPort });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  sample(collectGarbage: boolean): Promise<ServerSample> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#send({ type: 'sample', id, collectGarbage });
    });
  }

  /** Disconnects every client, closes the server and waits for the process to exit. */
  async close(): Promise<void> {
    const exited = once(this.#child, 'exit');
    this.#send({ type: 'close' });
    await exited;
  }

  #send(request: ServerRequest): void {
    this.#child.send(request);
  }
}
