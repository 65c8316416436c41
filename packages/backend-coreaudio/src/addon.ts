import { fromNative, loadNativeAddon, type NativeAddon } from '@syfala/native-engine';
import { CODES, CoreAudioError, type CoreAudioErrorCode } from './errors.js';

const UNSUPPORTED = `CoreAudio exists only on macOS (this is ${process.platform}): use --backend jack or --backend virtual`;

/**
 * The addon, with CoreAudio in it. Off macOS: UNSUPPORTED_PLATFORM, whether or not the addon was
 * built. On a Mac without the addon: NOT_INSTALLED, saying what to install.
 */
export function coreAudioAddon(): NativeAddon {
  if (process.platform !== 'darwin') throw new CoreAudioError('UNSUPPORTED_PLATFORM', UNSUPPORTED);
  const addon = loadNativeAddon(
    (cause) =>
      new CoreAudioError(
        'NOT_INSTALLED',
        `${cause.message}: install the Xcode command-line tools (xcode-select --install), ` +
          'then run pnpm install again',
        { cause },
      ),
  );
  if (!addon.coreAudioAvailable) throw new CoreAudioError('UNSUPPORTED_PLATFORM', UNSUPPORTED);
  return addon;
}

/** What the addon threw, as a CoreAudioError (its code kept when CoreAudio has it). */
export function coreAudioError(error: unknown, fallback: CoreAudioErrorCode): CoreAudioError {
  return fromNative(CoreAudioError, CODES, error, fallback);
}
