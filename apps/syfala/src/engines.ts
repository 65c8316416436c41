import { AudioEngine, type EngineOptions } from '@syfala/audio';
import type { StartedEngine } from '@syfala/remote';
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

/**
 * Starts the engine that fits the device: a worker thread for the virtual card, C++ otherwise.
 * `datagramBudgetBytes` as EngineOptions has it (default 'auto').
 */
export async function startEngine(
  device: DeviceChoice,
  bind: NonNullable<EngineOptions['bind']>,
  datagramBudgetBytes: NonNullable<EngineOptions['datagramBudgetBytes']> = 'auto',
): Promise<StartedEngine> {
  if (device.backend === 'virtual') {
    const engine = await AudioEngine.start({ bind, datagramBudgetBytes });
    return {
      engine,
      openDevice: (streams, onSinkFailed) =>
        engine.openDevice({ ...device, streams }, onSinkFailed),
    };
  }
  if (device.backend === 'jack') {
    const engine = await JackEngine.start({ bind, datagramBudgetBytes });
    return {
      engine,
      openDevice: async (streams) => void (await engine.openDevice(streams, device.options)),
    };
  }
  const engine = await CoreAudioEngine.start({ bind, datagramBudgetBytes });
  return {
    engine,
    openDevice: async (streams) => void (await engine.openDevice(streams, device.options)),
  };
}
