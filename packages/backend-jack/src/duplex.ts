import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { AudioBackend, AudioDevice, DeviceStreams, ProcessorSpec } from '@syfala/audio';
import type { NativeAddon, NativeDuplexStats } from '@syfala/native-engine';
import { jackAddon, jackError } from './addon.js';
import type { DuplexWorkerData, DuplexWorkerEvent } from './duplex-worker.js';
import { JackError } from './errors.js';
import type { JackDeviceOptions } from './jack-engine.js';

/**
 * Where a duplex stream's JACK client is and what its ports connect to: as for JackEngine's
 * device, without resampling (every stream runs at JACK's rate). Default client name
 * 'syfala-duplex', port prefixes `in` and `out` (a processor's: `in_1` is a JACK input).
 */
export type JackDuplexOptions = Omit<JackDeviceOptions, 'clientName' | 'resample'> & {
  readonly clientName?: string;
};

/** A JACK duplex stream's counters: DeviceStats and how often the worker was late. */
export type JackDuplexStats = NativeDuplexStats;

/**
 * A JACK client whose periods a processor module runs on a worker thread: JACK's real-time
 * callback only copies its ports into a ring and the previous period's output out of another
 * (native/src/engine/duplex_bridge.hpp), so the stream adds one period of latency, reported on
 * its ports. Made by jackBackend.open(); started by openDuplexStream with a `processor`.
 */
export class JackDuplexDevice implements AudioDevice {
  readonly streams: DeviceStreams;
  readonly sampleRate: number;
  readonly periodFrames: number;
  /** The client's actual name, and its ports' full names per channel. */
  readonly name: string;
  readonly inputPorts: readonly string[];
  readonly outputPorts: readonly string[];
  readonly #addon: NativeAddon;
  readonly #id: number;
  #worker: Worker | undefined;
  #started = false;
  /** The counters at close, once the native stream is gone. */
  #finalStats: JackDuplexStats | undefined;
  /** The processor's failure while running: close() rejects with it. */
  #failure: JackError | undefined;
  #closing: Promise<void> | undefined;

  constructor(addon: NativeAddon, streams: DeviceStreams, options: JackDuplexOptions) {
    this.#addon = addon;
    this.streams = streams;
    const opened = addon.openJackDuplex({
      ...options,
      clientName: options.clientName ?? 'syfala-duplex',
      inputs: streams.inputs.map((format) => format.channels),
      outputs: streams.outputs.map((format) => format.channels),
      // 0: a stream with no channels at all runs at whatever rate JACK has.
      sampleRate: (streams.inputs[0] ?? streams.outputs[0])?.sampleRate ?? 0,
    });
    this.#id = opened.id;
    this.name = opened.name;
    this.sampleRate = opened.sampleRate;
    this.periodFrames = opened.periodFrames;
    this.inputPorts = opened.inputPorts;
    this.outputPorts = opened.outputPorts;
  }

  /** A main-thread callback can't keep JACK's time: the JACK backend takes processor modules. */
  start(): void {
    throw new JackError(
      'BAD_OPTION',
      'the JACK backend runs the period callback on a worker thread: give openDuplexStream a `processor` module, not a `process` function',
    );
  }

  async startProcessor(spec: ProcessorSpec): Promise<void> {
    if (this.#closing !== undefined) throw new JackError('BAD_STATE', 'JACK duplex stream: closed');
    if (this.#started) throw new JackError('BAD_STATE', 'JACK duplex stream: already started');
    this.#started = true;
    const data: DuplexWorkerData = {
      id: this.#id,
      spec,
      setup: {
        inputs: this.streams.inputs,
        outputs: this.streams.outputs,
        sampleRate: this.sampleRate,
        periodFrames: this.periodFrames,
      },
    };
    const worker = new Worker(new URL('../worker/duplex-worker.mjs', import.meta.url), {
      workerData: data,
    });
    this.#worker = worker;
    const first = await this.#nextEvent(worker);
    if (first.type === 'failed') throw new JackError('PROCESSOR_FAILED', first.message);
    worker.on('message', (event: DuplexWorkerEvent) => {
      if (event.type === 'failed')
        this.#failure ??= new JackError('PROCESSOR_FAILED', event.message);
    });
    try {
      this.#addon.jackDuplexStart(this.#id);
    } catch (error) {
      throw jackError(error, 'SERVER_UNAVAILABLE');
    }
  }

  /** The worker's first word, or its death as a failure. */
  async #nextEvent(worker: Worker): Promise<DuplexWorkerEvent> {
    const died = once(worker, 'error').then(([error]) => ({
      type: 'failed' as const,
      message: `the duplex worker died: ${(error as Error).message}`,
    }));
    const said = once(worker, 'message').then(([event]) => event as DuplexWorkerEvent);
    return Promise.race([said, died]);
  }

  stats(): JackDuplexStats {
    return this.#addon.jackDuplexStats(this.#id) ?? this.#finalStats!;
  }

  /** Releases the JACK client and ends the worker; the client cannot start again. */
  async stop(): Promise<void> {
    this.#finalStats ??= this.#addon.jackDuplexStats(this.#id);
    this.#addon.jackDuplexClose(this.#id);
    const worker = this.#worker;
    this.#worker = undefined;
    // Closing ends the worker's wait for a period: it returns and the thread exits.
    if (worker !== undefined && worker.threadId >= 0) await once(worker, 'exit');
  }

  /** Stops; rejects with the processor's failure, if it failed while running. Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= this.stop().then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    }));
  }
}

/**
 * The JACK backend for openDuplexStream: one client per stream, capture and playback on JACK's
 * one clock (duplex). Every stream runs at the JACK server's rate (FORMAT_MISMATCH otherwise);
 * the period callback is a processor module, run on a worker thread.
 */
export const jackBackend: AudioBackend<JackDuplexOptions> = {
  info: { name: 'jack', duplex: true },
  open(streams: DeviceStreams, options: JackDuplexOptions): Promise<JackDuplexDevice> {
    try {
      const rates = new Set([...streams.inputs, ...streams.outputs].map((f) => f.sampleRate));
      if (rates.size > 1) {
        throw new JackError(
          'FORMAT_MISMATCH',
          `a JACK duplex stream runs at one rate, got ${[...rates].join(' and ')} Hz`,
        );
      }
      return Promise.resolve(new JackDuplexDevice(jackAddon(), streams, options));
    } catch (error) {
      return Promise.reject(
        error instanceof JackError ? error : jackError(error, 'SERVER_UNAVAILABLE'),
      );
    }
  },
};
