import {
  fromNative,
  loadNativeAddon,
  nativeHost,
  type NativeAddon,
  type NativeAddonError,
  type NativeHost,
} from '@syfala/native-engine';
import { INSTALL_HINT, JackError, type JackErrorCode } from './errors.js';

function notInstalled(cause: NativeAddonError): JackError {
  return new JackError('NOT_INSTALLED', `${cause.message}: ${INSTALL_HINT}`, { cause });
}

function withJack<Loaded extends { readonly jackAvailable: boolean }>(loaded: Loaded): Loaded {
  if (!loaded.jackAvailable) {
    throw new JackError('NOT_INSTALLED', `this build has no JACK support: ${INSTALL_HINT}`);
  }
  return loaded;
}

/** The addon in this process, with JACK in it (the duplex stream's); NOT_INSTALLED otherwise. */
export function jackAddon(): NativeAddon {
  return withJack(loadNativeAddon(notInstalled));
}

/** The engine process, its addon with JACK in it (engines and probes); NOT_INSTALLED otherwise. */
export async function jackHost(): Promise<NativeHost> {
  const host = await nativeHost(notInstalled);
  withJack(host.capabilities);
  return host;
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
