import type { EngineOptions } from '@syfala/audio';
import {
  bindNativeEngine,
  NativeStreamEngine,
  type DeviceEventBits,
  type DeviceLayout,
  type NativeDeviceInfo,
  type SharedCode,
} from '@syfala/native-engine';
import { coreAudioError, coreAudioHost } from './addon.js';
import { chooseCoreAudioDevice, listCoreAudioDevices } from './devices.js';
import { CoreAudioError } from './errors.js';

/** Which devices and channels the engine uses. */
export interface CoreAudioDeviceOptions {
  /** The capturing device's UID or name (`syfala devices`). Default: the system's default input. */
  readonly inputDevice?: string;
  /** The playing device's UID or name. Default: the system's default output. */
  readonly outputDevice?: string;
  /** Device channels (from 1) the input streams take, in order. Default: the first ones. */
  readonly inputChannels?: readonly number[];
  /** Device channels (from 1) the output streams feed, in order. Default: the first ones. */
  readonly outputChannels?: readonly number[];
  /** Asks the device(s) for this I/O buffer size. Default: the device's own. */
  readonly periodFrames?: number;
}

export type CoreAudioDeviceInfo = NativeDeviceInfo;

/**
 * The native data plane on CoreAudio: AUHAL units (kAudioUnitSubType_HALOutput) whose I/O
 * callbacks move audio between the device and the engine's rings (see NativeStreamEngine).
 * Inputs and outputs on one device share one duplex unit and one clock; on two devices, the
 * output device is the clock and the input reaches it through a ring (see the README).
 */
export class CoreAudioEngine extends NativeStreamEngine<CoreAudioDeviceOptions> {
  /** Binds the audio socket; UNSUPPORTED_PLATFORM off macOS. */
  static async start(options: EngineOptions = {}): Promise<CoreAudioEngine> {
    try {
      const host = await coreAudioHost();
      return new CoreAudioEngine(host, await bindNativeEngine(host, options));
    } catch (error) {
      throw coreAudioError(error, 'ENGINE_FAILED');
    }
  }

  /**
   * Opens AUHAL units on the devices with one float32 channel per stream channel, and starts
   * them. Every stream must run at the device's nominal rate (FORMAT_MISMATCH otherwise).
   */
  protected override async openNative(
    layout: DeviceLayout,
    options: CoreAudioDeviceOptions,
  ): Promise<CoreAudioDeviceInfo> {
    // Names are resolved here, once, against the listing; the native side takes UIDs.
    const devices = listCoreAudioDevices();
    const uid = (wanted: string | undefined, direction: 'input' | 'output'): string =>
      chooseCoreAudioDevice(devices, wanted, direction).uid;
    const { inputDevice, outputDevice, ...channels } = options;
    try {
      return await this.host.ask({
        op: 'openCoreAudio',
        engine: this.engine,
        options: {
          ...layout,
          ...channels,
          ...(layout.inputs.length > 0 && { inputDevice: uid(inputDevice, 'input') }),
          ...(layout.outputs.length > 0 && { outputDevice: uid(outputDevice, 'output') }),
        },
      });
    } catch (error) {
      throw coreAudioError(error, 'DEVICE_FAILED');
    }
  }

  protected override wrap(error: unknown, fallback: SharedCode): CoreAudioError {
    return coreAudioError(error, fallback);
  }

  protected override lostBy(flags: number, events: DeviceEventBits): CoreAudioError | undefined {
    const device = this.info?.name ?? 'the device';
    if (flags & events.shutdown) {
      return new CoreAudioError('DEVICE_FAILED', `the CoreAudio device ${device} went away`);
    }
    if (flags & events.sampleRate) {
      return new CoreAudioError(
        'FORMAT_MISMATCH',
        `the CoreAudio device ${device} changed its sample rate mid-stream`,
      );
    }
    return undefined;
  }
}
