import { describeFormat, type Format } from '@syfala/proto';
import { endpointFormats, offeredFormats } from '../endpoint-formats.js';
import { interfaceValue, timeValue, pskValue } from '../option-values.js';
import { resolveEndpoint, terminalProgress } from '../resolve-endpoint.js';
import { fetchStatus, statusAddress, statusText } from '../observe/status-text.js';

export interface InfoFlags {
  readonly json?: boolean;
  readonly timeout: string | number;
  readonly interface?: string;
  readonly psk?: string;
}

/**
 * `syfala info`: everything discovery knows about one endpoint; or, given a daemon's --metrics
 * address (http://HOST:PORT/), its endpoint and every session as both sides see it.
 */
export async function infoCommand(text: string, flags: InfoFlags): Promise<number> {
  const timeoutMs = timeValue(flags.timeout, '--timeout', 'ms');
  const statusUrl = statusAddress(text);
  if (statusUrl !== undefined) {
    const status = await fetchStatus(statusUrl, timeoutMs);
    process.stdout.write(`${flags.json === true ? JSON.stringify(status) : statusText(status)}\n`);
    return 0;
  }
  const psk = flags.psk === undefined ? undefined : pskValue(flags.psk, '--psk');
  const endpoint = await resolveEndpoint(text, {
    timeoutMs,
    progress: terminalProgress(),
    ...(flags.interface !== undefined && {
      interface: interfaceValue(flags.interface, '--interface'),
    }),
  });
  // A key given is checked, even when the announcement carried the formats: a wrong one is an
  // error, not a key silently unused.
  const formats =
    psk === undefined ? await endpointFormats(endpoint) : await offeredFormats(endpoint, psk);
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...endpoint, formats })}\n`);
    return 0;
  }
  const streams = (list: readonly Format[]): string[] =>
    list.length === 0
      ? ['  none']
      : list.map((format, i) => `  ${i + 1}: ${describeFormat(format)}`);
  const lines = [
    `name:      ${endpoint.name}`,
    `id:        ${endpoint.id}`,
    `address:   ${endpoint.host}, UDP port ${endpoint.udpPort} (discovery, audio, UDP control)`,
    `control:   ${endpoint.controlPort === 0 ? 'UDP only' : `TCP port ${endpoint.controlPort}`}`,
    `protocol:  version ${endpoint.protocolVersion}`,
    `found by:  ${endpoint.via.join(', ')}`,
    `inputs (the server captures, you receive):`,
    ...streams(formats.inputs),
    `outputs (you send, the server plays):`,
    ...streams(formats.outputs),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
