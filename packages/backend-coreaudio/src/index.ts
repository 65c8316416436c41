export { CoreAudioError, type CoreAudioErrorCode } from './errors.js';
export {
  CoreAudioEngine,
  type CoreAudioDeviceOptions,
  type CoreAudioDeviceInfo,
} from './coreaudio-engine.js';
export { chooseCoreAudioDevice, listCoreAudioDevices } from './devices.js';
export { type CoreAudioDevice } from '@syfala/native-engine';
