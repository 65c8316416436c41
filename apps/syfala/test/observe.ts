/** What the tests of `syfala serve --metrics` share: starting it, and reading what it serves. */
import type { StatusJson } from '../src/observe/status.js';
import { LOOPBACK_SERVE, serve, syfala, type Cli } from './cli-process.js';

/** `syfala serve --metrics 0` on loopback, and the URL of its HTTP listener. */
export async function serveWithMetrics(
  flags: readonly string[] = [],
): Promise<{ cli: Cli; udpPort: number; controlPort: number; base: string }> {
  const cli = syfala(['serve', ...LOOPBACK_SERVE, '--metrics', '0', '--log', 'json', ...flags]);
  const { udpPort, controlPort } = await serve(cli);
  const listening = await cli.logEvent('metrics-listening');
  return { cli, udpPort, controlPort, base: `http://127.0.0.1:${listening['port'] as number}` };
}

export async function statusOf(base: string): Promise<StatusJson> {
  const response = await fetch(`${base}/status.json`);
  if (!response.ok) throw new Error(`/status.json: HTTP ${response.status}`);
  return (await response.json()) as StatusJson;
}
