import type { EngineOptions } from '@syfala/audio';
import {
  bindNativeEngine,
  NativeStreamEngine,
  type DeviceEventBits,
  type DeviceLayout,
  type NativeDeviceInfo,
  type SharedCode,
} from '@syfala/native-engine';
import { jackAddon, jackError } from './addon.js';
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
  /** Binds the audio socket and starts its receive thread (no JACK client yet). */
  static start(options: EngineOptions = {}): Promise<JackEngine> {
    try {
      const addon = jackAddon();
      return Promise.resolve(new JackEngine(bindNativeEngine(addon, options), addon.events));
    } catch (error) {
      return Promise.reject(jackError(error, 'ENGINE_FAILED'));
    }
  }

  /**
   * Opens the JACK client with one port per channel of each stream, activates it and connects
   * its ports. Every stream must run at the JACK server's rate (FORMAT_MISMATCH otherwise),
   * unless `resample` is set and every peer has drift compensation.
   */
  protected override openNative(
    layout: DeviceLayout,
    options: JackDeviceOptions,
    onEvent: (flags: number) => void,
  ): JackDeviceInfo {
    try {
      // The addon applies the defaults JackDeviceOptions documents.
      return this.native.openJack({ ...layout, ...options }, onEvent);
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
