import { fromNative, loadNativeAddon, type NativeAddon } from '@syfala/native-engine';
import { INSTALL_HINT, JackError, type JackErrorCode } from './errors.js';

/** The addon, with JACK in it; NOT_INSTALLED, with what to install, otherwise. */
export function jackAddon(): NativeAddon {
  const addon = loadNativeAddon(
    (cause) => new JackError('NOT_INSTALLED', `${cause.message}: ${INSTALL_HINT}`, { cause }),
  );
  if (!addon.jackAvailable) {
    throw new JackError('NOT_INSTALLED', `this build has no JACK support: ${INSTALL_HINT}`);
  }
  return addon;
}

const CODES: readonly JackErrorCode[] = [
  'NOT_INSTALLED',
  'SERVER_UNAVAILABLE',
  'PORT_FAILED',
  'FORMAT_MISMATCH',
  'BAD_OPTION',
  'BAD_STATE',
  'ENGINE_FAILED',
  'PROCESSOR_FAILED',
  'CLOSE_HUNG',
];

/** What the addon threw, as a JackError (its code kept when JACK has it). */
export function jackError(error: unknown, fallback: JackErrorCode): JackError {
  return fromNative(JackError, CODES, error, fallback);
}
