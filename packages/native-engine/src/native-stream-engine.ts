import type {
  DeviceStreams,
  EngineOptions,
  EngineStats,
  PeerSpec,
  StreamEngine,
} from '@syfala/audio';
import type { DeviceEventBits, DeviceLayout, NativeDeviceInfo } from './addon.js';
import type { DeviceClock, HostRequest, HostResults } from './host-messages.js';
import type { NativeHost } from './native-host.js';

/** Error codes every native backend has (its error type may have more). */
export type SharedCode = 'BAD_OPTION' | 'BAD_STATE' | 'ENGINE_FAILED' | 'FORMAT_MISMATCH';

/** Binds the engine's UDP socket in the host (no device yet). */
export function bindNativeEngine(
  host: NativeHost,
  options: EngineOptions,
): Promise<HostResults['bind']> {
  return host.ask({
    op: 'bind',
    bind: {
      address: options.bind?.address ?? '0.0.0.0',
      port: options.bind?.port ?? 0,
      datagramBudgetBytes: options.datagramBudgetBytes ?? 'auto',
    },
  });
}

/**
 * The native data plane behind a StreamEngine: the UDP socket, the jitter buffers and
 * packetizers all live in C++, and the device's real-time callback receives, plays and sends.
 * They run in the engine process (NativeHost); this handle, for control, asks it. A backend adds
 * how its device opens and which of its events end a session.
 */
export abstract class NativeStreamEngine<DeviceOptions> implements StreamEngine {
  readonly port: number;
  /** Settles when the device goes away or changes its rate, or the engine process stops. */
  readonly deviceLost: Promise<Error>;
  protected readonly host: NativeHost;
  /** This engine's number in the host. */
  protected readonly engine: number;
  #lose: (error: Error) => void = () => undefined;
  #opening = false;
  #info: NativeDeviceInfo | undefined;
  #clock: DeviceClock | undefined;
  #closing: Promise<void> | undefined;
  #leftOpen: string | undefined;

  protected constructor(host: NativeHost, bound: HostResults['bind']) {
    this.host = host;
    this.engine = bound.engine;
    this.port = bound.port;
    this.deviceLost = new Promise((resolve) => (this.#lose = resolve));
    host.attach(bound.engine, {
      device: (flags, clock) => this.#onEvent(flags, clock),
      died: (error) => {
        if (this.#closing === undefined) this.#lose(this.wrap(error, 'ENGINE_FAILED'));
      },
    });
  }

  /** The backend's typed error for what the addon threw; `fallback` when it has no known code. */
  protected abstract wrap(error: unknown, fallback: SharedCode): Error;

  /** Opens and starts the backend's device in the host; rejects with the backend's typed error. */
  protected abstract openNative(
    layout: DeviceLayout,
    options: DeviceOptions,
  ): Promise<NativeDeviceInfo>;

  /** The reason a device event ends the sessions, or undefined when they go on. */
  protected abstract lostBy(flags: number, events: DeviceEventBits): Error | undefined;

  /** The device's clock, as the host last said: at open, and with each device event but an xrun. */
  get device(): DeviceClock | undefined {
    return this.#closing === undefined ? this.#clock : undefined;
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
  async openDevice(streams: DeviceStreams, options: DeviceOptions): Promise<NativeDeviceInfo> {
    if (this.#opening) throw this.#fail('BAD_STATE', 'audio engine: a device is already open');
    const rates = [...new Set([...streams.inputs, ...streams.outputs].map((f) => f.sampleRate))];
    if (rates.length > 1) {
      throw this.#fail(
        'FORMAT_MISMATCH',
        `the streams run at ${rates.join(' and ')} Hz, but a device has one rate`,
      );
    }
    this.#opening = true;
    const layout: DeviceLayout = {
      inputs: streams.inputs.map((format) => format.channels),
      outputs: streams.outputs.map((format) => format.channels),
      ...(rates[0] !== undefined && { sampleRate: rates[0] }),
    };
    let info: NativeDeviceInfo;
    try {
      info = await this.openNative(layout, options);
    } catch (error) {
      this.#opening = false;
      throw error;
    }
    this.#info = info;
    this.#clock = { sampleRate: info.sampleRate, periodFrames: info.periodFrames };
    return info;
  }

  addPeer(peer: PeerSpec): Promise<void> {
    return this.#ask({ op: 'addPeer', engine: this.engine, peer }, 'BAD_OPTION');
  }

  /** The callback reads the flag when it sends: the next period has it. */
  setSending(id: string, enabled: boolean): Promise<void> {
    return this.#ask({ op: 'setSending', engine: this.engine, peer: id, enabled }, 'BAD_STATE');
  }

  /** Asked, not awaited: the peer is gone either way, and a host that stopped has none. */
  removePeer(id: string): void {
    this.host.ask({ op: 'removePeer', engine: this.engine, peer: id }).catch(() => undefined);
  }

  stats(): Promise<EngineStats> {
    return this.#ask({ op: 'stats', engine: this.engine }, 'BAD_STATE');
  }

  /** Stops the device, then the engine, and frees everything. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  get leftOpen(): string | undefined {
    return this.#leftOpen;
  }

  async #close(): Promise<void> {
    try {
      // Only a JACK client can be left open (NativeEngine.close).
      if (!(await this.host.ask({ op: 'close', engine: this.engine }))) {
        this.#leftOpen =
          `${this.#info?.name ?? 'the JACK client'} did not close within 2 s (jack2's close ` +
          'race, its issue 395): the JACK server drops it when the engine process exits';
      }
    } catch {
      // The engine process stopped: nothing of this engine is left open.
    } finally {
      this.host.detach(this.engine);
    }
  }

  async #ask<Op extends HostRequest['op']>(
    request: Extract<HostRequest, { op: Op }>,
    fallback: SharedCode,
  ): Promise<HostResults[Op]> {
    try {
      return await this.host.ask(request);
    } catch (error) {
      throw this.wrap(error, fallback);
    }
  }

  #fail(code: SharedCode, message: string): Error {
    return this.wrap({ code, message }, code);
  }

  #onEvent(flags: number, clock: DeviceClock | undefined): void {
    if (clock !== undefined) this.#clock = clock;
    const reason = this.lostBy(flags, this.host.capabilities.events);
    if (reason !== undefined) this.#lose(reason);
  }
}
