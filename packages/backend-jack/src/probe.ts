import type { JackServerInfo } from '@syfala/native-engine';
import { jackAddon, jackError } from './addon.js';

/** The JACK server's clock and physical ports (opens and closes a short-lived client). */
export function probeJack(server?: string): JackServerInfo {
  try {
    return jackAddon().probeJack(server);
  } catch (error) {
    throw jackError(error, 'SERVER_UNAVAILABLE');
  }
}
