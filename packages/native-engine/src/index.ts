export {
  type CoreAudioDevice,
  type DeviceEventBits,
  type DeviceLayout,
  type JackServerInfo,
  type NativeAddon,
  type NativeCoreAudioOptions,
  type NativeDeviceInfo,
  type NativeEngine,
  type NativeJackOptions,
  type NativeJackDuplex,
  type NativeDuplexStats,
} from './addon.js';
export { fromNative } from './native-error.js';
export { NativeAddonError, type NativeAddonErrorCode } from './errors.js';
export { ADDON_PATH_VARIABLE, loadNativeAddon } from './load.js';
export { bindNativeEngine, NativeStreamEngine, type SharedCode } from './native-stream-engine.js';
export { nativeHost, type NativeHost } from './native-host.js';
export { runNativeHost } from './host-main.js';
