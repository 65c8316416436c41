import {
  AudioEngine,
  type DeviceStreams,
  type EngineOptions,
  type StreamEngine,
} from '@syfala/audio';
import { JackEngine, type JackDeviceOptions } from '@syfala/backend-jack';

/** The sound card an engine drives: the virtual card (TS data plane) or JACK (native core). */
export type DeviceChoice =
  | { readonly backend: 'virtual'; readonly options: Record<string, unknown> }
  | { readonly backend: 'jack'; readonly options: JackDeviceOptions };

/** An engine whose socket is bound (its port goes in the handshake) and whose device opens later. */
export interface StartedEngine {
  readonly engine: StreamEngine;
  /** Opens the device for these streams (known once the formats are agreed). */
  openDevice(streams: DeviceStreams): Promise<void>;
}

/** Starts the engine that fits the device: a worker thread for the virtual card, C++ for JACK. */
export async function startEngine(
  device: DeviceChoice,
  bind: NonNullable<EngineOptions['bind']>,
): Promise<StartedEngine> {
  if (device.backend === 'jack') {
    const engine = await JackEngine.start({ bind });
    return {
      engine,
      openDevice: async (streams) => {
        await engine.openDevice(streams, device.options);
      },
    };
  }
  const engine = await AudioEngine.start({ bind });
  return {
    engine,
    openDevice: (streams) => engine.openDevice({ ...device, streams }),
  };
}
