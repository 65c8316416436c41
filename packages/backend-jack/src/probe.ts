import { jackError, nativeAddon, type JackServerInfo } from './addon.js';

/** The JACK server's clock and physical ports (opens and closes a short-lived client). */
export function probeJack(server?: string): JackServerInfo {
  const addon = nativeAddon();
  try {
    return addon.probeJack(server);
  } catch (error) {
    throw jackError(error, 'SERVER_UNAVAILABLE');
  }
}
