import type { EngineOptions } from '@syfala/audio';
import {
  bindNativeEngine,
  NativeStreamEngine,
  type DeviceEventBits,
  type DeviceLayout,
  type NativeDeviceInfo,
  type SharedCode,
} from '@syfala/native-engine';
import { jackError, jackHost } from './addon.js';
import { JackError } from './errors.js';

/** How the engine's JACK client looks and what it connects to. */
export interface JackDeviceOptions {
  /** The JACK server's name (`jackd -n`). Default: $JACK_DEFAULT_SERVER, else JACK's default. */
  readonly server?: string;
  /** The client's name; JACK adds a suffix if it is taken. */
  readonly clientName: string;
  /**
   * Port names say what a port does for the JACK graph: `<prefix>_<channel>` (from 1) when the
   * direction has one stream, `<prefix><stream>_<channel>` with several. Defaults `send` for the
   * device's inputs (JACK inputs, sent to the peers) and `receive` for its outputs (JACK
   * outputs, what the peers sent).
   */
  readonly inputPrefix?: string;
  readonly outputPrefix?: string;
  /**
   * What patchbays (qjackctl, Carla) show, set through JACK's metadata (pretty name) and removed
   * at close: the client's name, and each port's as "<prettyName> <prefix> <channel>", plus
   * " (stream N)" with several streams. Default: none set.
   */
  readonly prettyName?: string;
  /** Ports feeding the inputs, in channel order across streams. Default: the physical capture ports. */
  readonly connectInputsFrom?: readonly string[];
  /** Ports the outputs feed, in channel order. Default: the physical playback ports. */
  readonly connectOutputsTo?: readonly string[];
  /** Connect to the physical ports when no ports are named. Default true. */
  readonly autoConnect?: boolean;
  /**
   * Accept a JACK server at another rate than the streams' (a 44.1 kHz server, 48 kHz streams):
   * each peer is resampled both ways, which needs its `driftCompensation` (addPeer refuses a
   * peer without, FORMAT_MISMATCH). Default false: such a server is refused at open.
   */
  readonly resample?: boolean;
}

export type JackDeviceInfo = NativeDeviceInfo;

/**
 * The native data plane on a JACK client: one JACK port per channel, JACK's real-time callback
 * moving audio between the ports and the engine's rings (see NativeStreamEngine).
 */
export class JackEngine extends NativeStreamEngine<JackDeviceOptions> {
  /** Binds the audio socket (no JACK client yet). */
  static async start(options: EngineOptions = {}): Promise<JackEngine> {
    try {
      const host = await jackHost();
      return new JackEngine(host, await bindNativeEngine(host, options));
    } catch (error) {
      throw jackError(error, 'ENGINE_FAILED');
    }
  }

  /**
   * Opens the JACK client with one port per channel of each stream, activates it and connects
   * its ports. Every stream must run at the JACK server's rate (FORMAT_MISMATCH otherwise),
   * unless `resample` is set and every peer has drift compensation.
   */
  protected override async openNative(
    layout: DeviceLayout,
    options: JackDeviceOptions,
  ): Promise<JackDeviceInfo> {
    try {
      // The addon applies the other defaults JackDeviceOptions documents.
      const names = { inputPrefix: 'send', outputPrefix: 'receive' };
      return await this.host.ask({
        op: 'openJack',
        engine: this.engine,
        options: { ...layout, ...names, ...options },
      });
    } catch (error) {
      throw jackError(error, 'SERVER_UNAVAILABLE');
    }
  }

  protected override wrap(error: unknown, fallback: SharedCode): JackError {
    return jackError(error, fallback);
  }

  protected override lostBy(flags: number, events: DeviceEventBits): JackError | undefined {
    if (flags & events.shutdown) {
      return new JackError('SERVER_UNAVAILABLE', 'the JACK server went away');
    }
    if (flags & events.sampleRate) {
      return new JackError('FORMAT_MISMATCH', 'the JACK server changed its sample rate mid-stream');
    }
    return undefined;
  }
}
