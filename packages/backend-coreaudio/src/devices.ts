import type { CoreAudioDevice } from '@syfala/native-engine';
import { coreAudioAddon, coreAudioError } from './addon.js';
import { CoreAudioError } from './errors.js';

/** Every CoreAudio device: UID, name, channels each way, rate, buffer size, default or not. */
export function listCoreAudioDevices(): CoreAudioDevice[] {
  try {
    return coreAudioAddon().coreAudioDevices();
  } catch (error) {
    throw coreAudioError(error, 'DEVICE_FAILED');
  }
}

/**
 * The device a user means: the one with this UID, else the one with this name, and when none is
 * named, the system's default for that direction. DEVICE_NOT_FOUND when there is none such,
 * BAD_OPTION when two devices share the name (a UID then tells them apart).
 */
export function chooseCoreAudioDevice(
  devices: readonly CoreAudioDevice[],
  wanted: string | undefined,
  direction: 'input' | 'output',
): CoreAudioDevice {
  if (wanted === undefined) {
    const found = devices.find((d) => (direction === 'input' ? d.defaultInput : d.defaultOutput));
    if (found === undefined) {
      throw new CoreAudioError('DEVICE_NOT_FOUND', `this Mac has no default ${direction} device`);
    }
    return found;
  }
  const byUid = devices.find((d) => d.uid === wanted);
  if (byUid !== undefined) return byUid;
  const named = devices.filter((d) => d.name === wanted);
  if (named.length > 1) {
    throw new CoreAudioError(
      'BAD_OPTION',
      `${named.length} CoreAudio devices are named "${wanted}": name one by its UID (syfala devices)`,
    );
  }
  if (named[0] === undefined) {
    throw new CoreAudioError(
      'DEVICE_NOT_FOUND',
      `no CoreAudio device has the UID or name "${wanted}" (syfala devices --backend coreaudio lists them)`,
    );
  }
  return named[0];
}
