import {
  AudioEngine,
  type DeviceStreams,
  type EngineOptions,
  type SinkFailure,
  type StreamEngine,
} from '@syfala/audio';
import { CoreAudioEngine, type CoreAudioDeviceOptions } from '@syfala/backend-coreaudio';
import { JackEngine, type JackDeviceOptions } from '@syfala/backend-jack';

/**
 * The sound card an engine drives: the virtual card (TS data plane), or JACK or CoreAudio (the
 * native core).
 */
export type DeviceChoice =
  | { readonly backend: 'virtual'; readonly options: Record<string, unknown> }
  | { readonly backend: 'jack'; readonly options: JackDeviceOptions }
  | { readonly backend: 'coreaudio'; readonly options: CoreAudioDeviceOptions };

/** An engine whose socket is bound (its port goes in the handshake) and whose device opens later. */
export interface StartedEngine {
  readonly engine: StreamEngine;
  /**
   * Opens the device for these streams (known once the formats are agreed). `onSinkFailed`
   * hears of a virtual card's WAV sink that stopped on a write failure (native cards have none).
   */
  openDevice(streams: DeviceStreams, onSinkFailed?: (failure: SinkFailure) => void): Promise<void>;
}

/** Starts the engine that fits the device: a worker thread for the virtual card, C++ otherwise. */
export async function startEngine(
  device: DeviceChoice,
  bind: NonNullable<EngineOptions['bind']>,
): Promise<StartedEngine> {
  if (device.backend === 'virtual') {
    const engine = await AudioEngine.start({ bind });
    return {
      engine,
      openDevice: (streams, onSinkFailed) =>
        engine.openDevice({ ...device, streams }, onSinkFailed),
    };
  }
  if (device.backend === 'jack') {
    const engine = await JackEngine.start({ bind });
    return {
      engine,
      openDevice: async (streams) => void (await engine.openDevice(streams, device.options)),
    };
  }
  const engine = await CoreAudioEngine.start({ bind });
  return {
    engine,
    openDevice: async (streams) => void (await engine.openDevice(streams, device.options)),
  };
}
