import { Worker } from 'node:worker_threads';
import { DEFAULT_DATAGRAM_BUDGET_BYTES, SyfalaError } from '@syfala/proto';
import { describeSinkFailure, type SinkFailure } from '../backend.js';
import { AUDIO_ERROR_CODES, AudioError, type AudioErrorCode } from '../errors.js';
import type { EngineStats, PeerSpec, StreamEngine } from '../stream-engine.js';
import type {
  DeviceSpec,
  EngineCommand,
  EngineEvent,
  EngineRequest,
  EngineResults,
} from './messages.js';
import { PendingReplies } from './pending-replies.js';

export interface EngineOptions {
  /** Where the UDP audio socket binds. Default 0.0.0.0, a free port. */
  readonly bind?: { readonly address?: string; readonly port?: number };
  /**
   * Largest audio datagram sent, header included (any size is received). Default `'auto'`: the
   * native engines size each peer's from the MTU of the route to it (fewer, larger datagrams over
   * loopback and jumbo frames; at most 1,400 bytes below a 1,500-byte MTU, PROTOCOL.md §3); this
   * engine takes 1,400 for it, as Node cannot read a route's MTU.
   */
  readonly datagramBudgetBytes?: number | 'auto';
}

type ErrorReply = Extract<EngineEvent, { type: 'error' }>;

/** The code a request's failure gets when the worker's error is not an AudioError. */
const FALLBACK_CODES: Record<EngineRequest['type'], AudioErrorCode> = {
  'open-device': 'DEVICE_FAILED',
  'add-peer': 'BAD_OPTION',
  send: 'ENGINE_FAILED',
  stats: 'ENGINE_FAILED',
  close: 'ENGINE_FAILED',
};

/**
 * A request's failure in the worker as an AudioError with the worker's code; another class's
 * error (a JitterBufferError, a system error) keeps its name and code as the cause.
 */
function fromWorker(reply: ErrorReply, type: EngineRequest['type']): AudioError {
  const code = reply.code as AudioErrorCode;
  if (reply.name === AudioError.name && AUDIO_ERROR_CODES.includes(code)) {
    return new AudioError(code, reply.message);
  }
  const cause = new SyfalaError(reply.code, reply.message);
  cause.name = reply.name;
  return new AudioError(FALLBACK_CODES[type], reply.message, { cause });
}

/**
 * The main thread's handle on a streaming engine. The engine itself (socket, device clock,
 * packetizers, jitter buffers) runs in a worker thread, so a busy event loop or the main
 * thread's garbage collection never touches the audio.
 */
export class AudioEngine implements StreamEngine {
  /** The UDP port audio is received on: announce it in the handshake. */
  readonly port: number;
  /**
   * The virtual card's clock is software and never goes away on its own: this settles only if
   * the worker dies (ENGINE_FAILED).
   */
  readonly deviceLost: Promise<Error>;
  /**
   * Settles only if the device's processor (DeviceSpec.processor) throws: AudioError
   * PROCESSOR_FAILED with its message. The engine runs on, sending silence in its place.
   */
  readonly processorFailed: Promise<AudioError>;
  readonly #worker: Worker;
  /** Every request is answered, or rejected when the worker dies. */
  readonly #replies = new PendingReplies<EngineRequest['type']>();
  #lose: (error: Error) => void = () => undefined;
  #processorThrew: (error: AudioError) => void = () => undefined;
  #device: { sampleRate: number; periodFrames: number } | undefined;
  #onSinkFailed: ((failure: SinkFailure) => void) | undefined;
  /** A sink failure no listener heard: close() rejects with it. */
  #unreported: AudioError | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, port: number) {
    this.#worker = worker;
    this.port = port;
    this.deviceLost = new Promise((resolve) => (this.#lose = resolve));
    this.processorFailed = new Promise((resolve) => (this.#processorThrew = resolve));
    worker.on('message', (event: EngineEvent) => this.#answer(event));
    worker.on('error', (error) => this.#die(`the worker failed: ${error.message}`, error));
    worker.on('exit', (exitCode) => this.#die(`the worker stopped (exit code ${exitCode})`));
  }

  /** Starts the worker and binds the audio socket. */
  static async start(options: EngineOptions = {}): Promise<AudioEngine> {
    const worker = new Worker(new URL('../../worker/engine-worker.mjs', import.meta.url), {
      workerData: {
        bind: { address: options.bind?.address ?? '0.0.0.0', port: options.bind?.port ?? 0 },
        datagramBudgetBytes:
          options.datagramBudgetBytes === undefined || options.datagramBudgetBytes === 'auto'
            ? DEFAULT_DATAGRAM_BUDGET_BYTES
            : options.datagramBudgetBytes,
      },
    });
    let first: EngineEvent;
    try {
      first = await new Promise<EngineEvent>((resolve, reject) => {
        const exited = (exitCode: number): void =>
          reject(new Error(`it stopped (exit code ${exitCode})`));
        worker.once('error', reject).once('exit', exited);
        worker.once('message', (event: EngineEvent) => {
          worker.off('error', reject).off('exit', exited);
          resolve(event);
        });
      });
    } catch (error) {
      throw new AudioError(
        'ENGINE_FAILED',
        `audio engine: the worker failed: ${(error as Error).message}`,
        { cause: error },
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

  /**
   * Opens the device inside the worker and starts its clock. Rejects with the worker's
   * AudioError code (FILE_ERROR for a WAV that can't be opened), else DEVICE_FAILED.
   * `onSinkFailed` hears of each WAV sink that stops on a write failure later (the device runs
   * on); without it, close() rejects with the first.
   */
  async openDevice(
    device: DeviceSpec,
    onSinkFailed?: (failure: SinkFailure) => void,
  ): Promise<void> {
    this.#onSinkFailed = onSinkFailed;
    const opened = await this.#ask({ type: 'open-device', device });
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
    await this.#ask({ type: 'add-peer', peer });
  }

  /**
   * Turns sending to a peer on or off; receiving goes on either way. Resolves once the engine's
   * thread has it: every period it processes from then on is sent (or not).
   */
  setSending(id: string, enabled: boolean): Promise<void> {
    return this.#ask({ type: 'send', peer: id, enabled });
  }

  removePeer(id: string): void {
    this.#notify({ type: 'remove-peer', peer: id });
  }

  stats(): Promise<EngineStats> {
    return this.#ask({ type: 'stats' });
  }

  /**
   * Stops the device (flushing WAV sinks), closes the socket, ends the worker. Idempotent.
   * Rejects with ENGINE_FAILED if the worker dies while closing (resolves at once if it had
   * died), with FILE_ERROR for a file that could not be finalised, or with a sink failure no
   * listener heard; the worker ends either way.
   */
  close(): Promise<void> {
    this.#closing ??=
      this.#replies.dead !== undefined
        ? Promise.resolve()
        : this.#ask({ type: 'close' })
            .finally(() => this.#worker.terminate())
            .then(() => {
              if (this.#unreported !== undefined) throw this.#unreported;
            });
    return this.#closing;
  }

  #ask<T extends EngineRequest>(request: T): Promise<EngineResults[T['type']]> {
    return this.#replies.ask(request.type, (id) =>
      this.#worker.postMessage({ ...request, id } satisfies EngineCommand),
    );
  }

  /** A command the worker does not answer. After the worker's death it does nothing. */
  #notify(command: Extract<EngineCommand, { type: 'remove-peer' }>): void {
    this.#worker.postMessage(command);
  }

  #answer(event: EngineEvent): void {
    if (event.type === 'sink-failed') {
      if (this.#onSinkFailed !== undefined) this.#onSinkFailed(event.failure);
      else this.#unreported ??= new AudioError('FILE_ERROR', describeSinkFailure(event.failure));
      return;
    }
    if (event.type === 'processor-failed') {
      this.#processorThrew(
        new AudioError('PROCESSOR_FAILED', `processor: process() threw: ${event.message}`),
      );
      return;
    }
    if (event.type === 'done') this.#replies.resolve(event.id, event.result);
    else if (event.type === 'error')
      this.#replies.reject(event.id, (type) => fromWorker(event, type));
  }

  /**
   * The worker is gone (it threw, or stopped): nothing pending will ever be answered. A clean
   * close has no request pending when the worker exits, and does not lose the device.
   */
  #die(why: string, cause?: Error): void {
    const dead = new AudioError('ENGINE_FAILED', `audio engine: ${why}`, cause && { cause });
    if (this.#replies.die(dead) && this.#closing === undefined) this.#lose(dead);
  }
}
