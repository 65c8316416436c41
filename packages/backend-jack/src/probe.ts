import type { JackServerInfo } from '@syfala/native-engine';
import { jackError, jackHost } from './addon.js';

export interface ProbeOptions {
  /**
   * The client name of the JACK device this process opens next on that server: the probe's client
   * opens under it in the engine process and stays open for that device, which takes it. That
   * process then closes no client before it runs: in jack2 (up to 1.9.22) a close can wait for ever on its lock, and no
   * client of the process opens after that (CLOSE_HUNG).
   */
  readonly keepFor?: string;
}

/** The JACK server's clock and physical ports, read by a client of its own (see keepFor). */
export async function probeJack(
  server?: string,
  options: ProbeOptions = {},
): Promise<JackServerInfo> {
  try {
    const host = await jackHost();
    return await host.ask({ op: 'probeJack', server, keepFor: options.keepFor });
  } catch (error) {
    throw jackError(error, 'SERVER_UNAVAILABLE');
  }
}
