import type {
  DeviceStreams,
  EngineOptions,
  EngineStats,
  PeerSpec,
  StreamEngine,
} from '@syfala/audio';
import type {
  DeviceEventBits,
  DeviceLayout,
  NativeAddon,
  NativeDeviceInfo,
  NativeEngine,
} from './addon.js';

/** Error codes every native backend has (its error type may have more). */
export type SharedCode = 'BAD_OPTION' | 'BAD_STATE' | 'ENGINE_FAILED' | 'FORMAT_MISMATCH';

/** Binds the engine's UDP socket (no device yet). */
export function bindNativeEngine(addon: NativeAddon, options: EngineOptions): NativeEngine {
  return new addon.Engine({
    address: options.bind?.address ?? '0.0.0.0',
    port: options.bind?.port ?? 0,
    datagramBudgetBytes: options.datagramBudgetBytes ?? 'auto',
  });
}

/**
 * The native data plane behind a StreamEngine: the UDP socket, the jitter buffers and
 * packetizers all live in C++, and the device's real-time callback receives, plays and sends.
 * This handle stays on the main thread, for control. A backend adds how its device opens and which of its events end a session.
 */
export abstract class NativeStreamEngine<DeviceOptions> implements StreamEngine {
  readonly port: number;
  /** Settles when the device goes away or changes its rate. */
  readonly deviceLost: Promise<Error>;
  protected readonly native: NativeEngine;
  readonly #events: DeviceEventBits;
  #lose: (error: Error) => void = () => undefined;
  #info: NativeDeviceInfo | undefined;
  #closed = false;
  #leftOpen: string | undefined;

  protected constructor(native: NativeEngine, events: DeviceEventBits) {
    this.native = native;
    this.#events = events;
    this.port = native.port;
    this.deviceLost = new Promise((resolve) => (this.#lose = resolve));
  }

  /** The backend's typed error for what the addon threw; `fallback` when it has no known code. */
  protected abstract wrap(error: unknown, fallback: SharedCode): Error;

  /** Opens and starts the backend's device; throws the backend's typed error. */
  protected abstract openNative(
    layout: DeviceLayout,
    options: DeviceOptions,
    onEvent: (flags: number) => void,
  ): NativeDeviceInfo;

  /** The reason a device event ends the sessions, or undefined when they go on. */
  protected abstract lostBy(flags: number, events: DeviceEventBits): Error | undefined;

  /** The device's clock now: a period change shows here at once. */
  get device(): { readonly sampleRate: number; readonly periodFrames: number } | undefined {
    return this.#closed ? undefined : this.native.clock();
  }

  /** The open device's name, clock and channel names. */
  get info(): NativeDeviceInfo | undefined {
    return this.#info;
  }

  /**
   * Opens the device with one channel per stream channel and starts it. The streams share one
   * rate; a device at another rate is refused (FORMAT_MISMATCH) unless the backend's options let
   * it resample, and then every peer needs drift compensation.
   */
  openDevice(streams: DeviceStreams, options: DeviceOptions): Promise<NativeDeviceInfo> {
    if (this.#info !== undefined) {
      return Promise.reject(this.#fail('BAD_STATE', 'audio engine: a device is already open'));
    }
    const rates = [...new Set([...streams.inputs, ...streams.outputs].map((f) => f.sampleRate))];
    if (rates.length > 1) {
      return Promise.reject(
        this.#fail(
          'FORMAT_MISMATCH',
          `the streams run at ${rates.join(' and ')} Hz, but a device has one rate`,
        ),
      );
    }
    const layout: DeviceLayout = {
      inputs: streams.inputs.map((format) => format.channels),
      outputs: streams.outputs.map((format) => format.channels),
      ...(rates[0] !== undefined && { sampleRate: rates[0] }),
    };
    try {
      this.#info = this.openNative(layout, options, (flags) => this.#onEvent(flags));
      return Promise.resolve(this.#info);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  addPeer(peer: PeerSpec): Promise<void> {
    try {
      this.native.addPeer(peer);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.wrap(error, 'BAD_OPTION'));
    }
  }

  /** The callback reads the flag when it sends: the next period has it. */
  setSending(id: string, enabled: boolean): Promise<void> {
    this.native.setSending(id, enabled);
    return Promise.resolve();
  }

  removePeer(id: string): void {
    this.native.removePeer(id);
  }

  stats(): Promise<EngineStats> {
    try {
      return Promise.resolve(this.native.stats());
    } catch (error) {
      return Promise.reject(this.wrap(error, 'BAD_STATE'));
    }
  }

  /** Stops the device, then the engine, and frees everything. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // Only a JACK client can be left open (NativeEngine.close).
      if (!this.native.close()) {
        this.#leftOpen =
          `${this.#info?.name ?? 'the JACK client'} did not close within 2 s (jack2's close ` +
          'race, its issue 395): the JACK server drops it when this process exits';
      }
    }
    return Promise.resolve();
  }

  get leftOpen(): string | undefined {
    return this.#leftOpen;
  }

  #fail(code: SharedCode, message: string): Error {
    return this.wrap({ code, message }, code);
  }

  #onEvent(flags: number): void {
    const reason = this.lostBy(flags, this.#events);
    if (reason !== undefined) this.#lose(reason);
  }
}
