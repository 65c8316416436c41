import {
  type DeviceStreams,
  type EngineOptions,
  type EngineStats,
  type PeerSpec,
  type StreamEngine,
} from '@syfala/audio';
import { DEFAULT_DATAGRAM_BUDGET_BYTES } from '@syfala/proto';
import { jackError, nativeAddon, type NativeDeviceInfo, type NativeEngine } from './addon.js';
import { JackError } from './errors.js';

/** How the engine's JACK client looks and what it connects to. */
export interface JackDeviceOptions {
  /** The JACK server's name (`jackd -n`). Default: $JACK_DEFAULT_SERVER, else JACK's default. */
  readonly server?: string;
  /** The client's name; JACK adds a suffix if it is taken. */
  readonly clientName: string;
  /**
   * Port names are `<prefix><stream>_<channel>`, from 1. Defaults `in` for the device's inputs
   * (captured, sent) and `out` for its outputs (received, played).
   */
  readonly inputPrefix?: string;
  readonly outputPrefix?: string;
  /** Ports feeding the inputs, in channel order across streams. Default: the physical capture ports. */
  readonly connectInputsFrom?: readonly string[];
  /** Ports the outputs feed, in channel order. Default: the physical playback ports. */
  readonly connectOutputsTo?: readonly string[];
  /** Connect to the physical ports when no ports are named. Default true. */
  readonly autoConnect?: boolean;
}

export type JackDeviceInfo = NativeDeviceInfo;

/**
 * The native data plane on a JACK client: the UDP socket, its receive and send threads, the
 * jitter buffers and packetizers all live in C++; JACK's real-time callback only moves audio
 * between its ports and lock-free rings. This handle stays on the main thread, for control.
 */
export class JackEngine implements StreamEngine {
  readonly port: number;
  /** Settles when the JACK server goes away or changes its sample rate. */
  readonly deviceLost: Promise<Error>;
  readonly #native: NativeEngine;
  #lose: (error: Error) => void = () => undefined;
  #info: JackDeviceInfo | undefined;
  #closed = false;

  private constructor(native: NativeEngine) {
    this.#native = native;
    this.port = native.port;
    this.deviceLost = new Promise((resolve) => (this.#lose = resolve));
  }

  /** Binds the audio socket and starts the UDP threads (no device yet). */
  static start(options: EngineOptions = {}): Promise<JackEngine> {
    const addon = nativeAddon();
    try {
      const native = new addon.Engine({
        address: options.bind?.address ?? '0.0.0.0',
        port: options.bind?.port ?? 0,
        datagramBudgetBytes: options.datagramBudgetBytes ?? DEFAULT_DATAGRAM_BUDGET_BYTES,
      });
      return Promise.resolve(new JackEngine(native));
    } catch (error) {
      return Promise.reject(jackError(error, 'ENGINE_FAILED'));
    }
  }

  /** JACK's clock now: a buffer-size change shows here at once. */
  get device(): { readonly sampleRate: number; readonly periodFrames: number } | undefined {
    return this.#closed ? undefined : this.#native.clock();
  }

  /** The JACK client's name and ports, once open. */
  get info(): JackDeviceInfo | undefined {
    return this.#info;
  }

  /**
   * Opens the JACK client with one port per channel of each stream, activates it and connects
   * its ports. Every stream must run at the JACK server's rate (FORMAT_MISMATCH otherwise).
   */
  openDevice(streams: DeviceStreams, options: JackDeviceOptions): Promise<JackDeviceInfo> {
    if (this.#info !== undefined) {
      return Promise.reject(new JackError('BAD_STATE', 'JACK engine: a device is already open'));
    }
    const rates = new Set([...streams.inputs, ...streams.outputs].map((f) => f.sampleRate));
    if (rates.size > 1) {
      return Promise.reject(
        new JackError(
          'FORMAT_MISMATCH',
          `the streams run at ${[...rates].join(' and ')} Hz, but a JACK client has one rate`,
        ),
      );
    }
    try {
      // The native side checks the rate against the server's before activating the client.
      const info = this.#native.openJack(
        {
          ...(options.server !== undefined && { server: options.server }),
          clientName: options.clientName,
          inputs: streams.inputs.map((format) => format.channels),
          outputs: streams.outputs.map((format) => format.channels),
          inputPrefix: options.inputPrefix ?? 'in',
          outputPrefix: options.outputPrefix ?? 'out',
          connectInputsFrom: options.connectInputsFrom ?? [],
          connectOutputsTo: options.connectOutputsTo ?? [],
          autoConnect: options.autoConnect ?? true,
          ...(rates.size === 1 && { sampleRate: [...rates][0]! }),
        },
        (flags) => this.#onEvent(flags),
      );
      this.#info = info;
      return Promise.resolve(info);
    } catch (error) {
      return Promise.reject(jackError(error, 'SERVER_UNAVAILABLE'));
    }
  }

  addPeer(peer: PeerSpec): Promise<void> {
    try {
      this.#native.addPeer(peer);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(jackError(error, 'BAD_OPTION'));
    }
  }

  setSending(id: string, enabled: boolean): void {
    this.#native.setSending(id, enabled);
  }

  removePeer(id: string): void {
    this.#native.removePeer(id);
  }

  stats(): Promise<EngineStats> {
    try {
      return Promise.resolve(this.#native.stats());
    } catch (error) {
      return Promise.reject(jackError(error, 'BAD_STATE'));
    }
  }

  /** Deactivates the JACK client, stops the UDP threads, frees everything. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#native.close();
    }
    return Promise.resolve();
  }

  #onEvent(flags: number): void {
    const { events } = nativeAddon();
    if (flags & events.shutdown) {
      this.#lose(new JackError('SERVER_UNAVAILABLE', 'the JACK server went away'));
    } else if (flags & events.sampleRate) {
      this.#lose(
        new JackError('FORMAT_MISMATCH', 'the JACK server changed its sample rate mid-stream'),
      );
    }
  }
}
