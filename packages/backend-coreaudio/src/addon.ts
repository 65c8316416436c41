import {
  fromNative,
  loadNativeAddon,
  nativeHost,
  type NativeAddon,
  type NativeAddonError,
  type NativeHost,
} from '@syfala/native-engine';
import { CODES, CoreAudioError, type CoreAudioErrorCode } from './errors.js';

const UNSUPPORTED = `CoreAudio exists only on macOS (this is ${process.platform}): use --backend jack or --backend virtual`;

/**
 * The addon, with CoreAudio in it. Off macOS: UNSUPPORTED_PLATFORM, whether or not the addon was
 * built. On a Mac without the addon: NOT_INSTALLED, saying what to install.
 */
export function coreAudioAddon(): NativeAddon {
  onMac();
  return withCoreAudio(loadNativeAddon(notInstalled));
}

/** The engine process, its addon with CoreAudio in it; errors as coreAudioAddon's. */
export async function coreAudioHost(): Promise<NativeHost> {
  onMac();
  const host = await nativeHost(notInstalled);
  withCoreAudio(host.capabilities);
  return host;
}

function onMac(): void {
  if (process.platform !== 'darwin') throw new CoreAudioError('UNSUPPORTED_PLATFORM', UNSUPPORTED);
}

function notInstalled(cause: NativeAddonError): CoreAudioError {
  return new CoreAudioError(
    'NOT_INSTALLED',
    `${cause.message}: install the Xcode command-line tools (xcode-select --install), ` +
      'then run pnpm install again',
    { cause },
  );
}

function withCoreAudio<Loaded extends { readonly coreAudioAvailable: boolean }>(
  loaded: Loaded,
): Loaded {
  if (!loaded.coreAudioAvailable) throw new CoreAudioError('UNSUPPORTED_PLATFORM', UNSUPPORTED);
  return loaded;
}

/** What the addon threw, as a CoreAudioError (its code kept when CoreAudio has it). */
export function coreAudioError(error: unknown, fallback: CoreAudioErrorCode): CoreAudioError {
  return fromNative(CoreAudioError, CODES, error, fallback);
}
