import { Worker } from 'node:worker_threads';
import { DEFAULT_DATAGRAM_BUDGET_BYTES } from '@syfala/proto';
import { AudioError } from '../errors.js';
import type {
  DeviceSpec,
  EngineCommand,
  EngineEvent,
  EngineStats,
  PeerSpec,
  StreamEngine,
} from './messages.js';

export interface EngineOptions {
  /** Where the UDP audio socket binds. Default 0.0.0.0, a free port. */
  readonly bind?: { readonly address?: string; readonly port?: number };
  /** Largest audio datagram, header included. Default 1400 bytes (PROTOCOL.md §7.3). */
  readonly datagramBudgetBytes?: number;
}

type Reply<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

/**
 * The main thread's handle on a streaming engine. The engine itself (socket, device clock,
 * packetizers, jitter buffers) runs in a worker thread, so a busy event loop or the main
 * thread's garbage collection never touches the audio.
 */
export class AudioEngine implements StreamEngine {
  /** The UDP port audio is received on: announce it in the handshake. */
  readonly port: number;
  /** The virtual card's clock is software: it never goes away on its own. */
  readonly deviceLost = new Promise<Error>(() => undefined);
  readonly #worker: Worker;
  readonly #waiting = new Map<string, (event: EngineEvent) => void>();
  #device: { sampleRate: number; periodFrames: number } | undefined;
  #nextRequest = 0;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, port: number) {
    this.#worker = worker;
    this.port = port;
    worker.on('message', (event: EngineEvent) => {
      const key =
        event.type === 'stats'
          ? `stats:${event.requestId}`
          : event.type === 'peer-added' || event.type === 'peer-failed'
            ? `peer:${event.id}`
            : event.type === 'device-failed'
              ? 'device-opened'
              : event.type;
      const waiter = this.#waiting.get(key);
      this.#waiting.delete(key);
      waiter?.(event);
    });
  }

  /** Starts the worker and binds the audio socket. */
  static async start(options: EngineOptions = {}): Promise<AudioEngine> {
    const worker = new Worker(new URL('../../worker/engine-worker.mjs', import.meta.url), {
      workerData: {
        bind: { address: options.bind?.address ?? '0.0.0.0', port: options.bind?.port ?? 0 },
        datagramBudgetBytes: options.datagramBudgetBytes ?? DEFAULT_DATAGRAM_BUDGET_BYTES,
      },
    });
    let first: EngineEvent;
    try {
      first = await new Promise<EngineEvent>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    } catch (error) {
      throw new AudioError(
        'ENGINE_FAILED',
        `audio engine: the worker failed: ${(error as Error).message}`,
      );
    }
    if (first.type !== 'ready') {
      await worker.terminate();
      const why = first.type === 'failed' ? first.message : `unexpected ${first.type}`;
      throw new AudioError('ENGINE_FAILED', `audio engine: cannot bind its UDP socket: ${why}`);
    }
    return new AudioEngine(worker, first.port);
  }

  /** The device's clock, once open. */
  get device(): { readonly sampleRate: number; readonly periodFrames: number } | undefined {
    return this.#device;
  }

  /** Opens the device inside the worker and starts its clock. */
  async openDevice(device: DeviceSpec): Promise<void> {
    const reply = await this.#ask({ type: 'open-device', device }, 'device-opened');
    if (reply.type === 'device-failed') {
      throw new AudioError('DEVICE_FAILED', reply.message);
    }
    const opened = reply as Reply<'device-opened'>;
    this.#device = { sampleRate: opened.sampleRate, periodFrames: opened.periodFrames };
  }

  /**
   * Streams with a peer from now on; resolves once the worker has it. Rejects with AudioError
   * BAD_OPTION for a spec the worker refuses (the worker and its other peers run on).
   */
  async addPeer(peer: PeerSpec): Promise<void> {
    if (this.#device === undefined) {
      throw new AudioError('BAD_OPTION', 'audio engine: open a device before adding peers');
    }
    const reply = await this.#ask({ type: 'add-peer', peer }, `peer:${peer.id}`);
    if (reply.type === 'peer-failed') throw new AudioError('BAD_OPTION', reply.message);
  }

  /** Turns sending to a peer on or off; receiving goes on either way. */
  setSending(id: string, enabled: boolean): void {
    this.#send({ type: 'send', id, enabled });
  }

  removePeer(id: string): void {
    this.#send({ type: 'remove-peer', id });
  }

  async stats(): Promise<EngineStats> {
    const requestId = this.#nextRequest++;
    const reply = await this.#ask({ type: 'stats', requestId }, `stats:${requestId}`);
    return (reply as Reply<'stats'>).stats;
  }

  /** Stops the device (flushing WAV sinks), closes the socket, ends the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#ask({ type: 'close' }, 'closed').then(async () => {
      await this.#worker.terminate();
    });
    return this.#closing;
  }

  #ask(command: EngineCommand, key: string): Promise<EngineEvent> {
    return new Promise((resolve) => {
      this.#waiting.set(key, resolve);
      this.#send(command);
    });
  }

  #send(command: EngineCommand): void {
    this.#worker.postMessage(command);
  }
}
