import { CliError } from '../cli-error.js';
import { cardEvents } from '../output.js';
import type { SessionStatus, StatusJson, StreamStatus } from './status.js';

/** `syfala info http://HOST:PORT/`: a daemon's --metrics address, whose /status.json it reads. */
export function statusAddress(text: string): URL | undefined {
  if (!/^https?:\/\//i.test(text)) return undefined;
  try {
    return new URL('status.json', text.endsWith('/') ? text : `${text}/`);
  } catch {
    throw new CliError(`"${text}" is not a URL (a daemon's --metrics address: http://HOST:PORT/)`);
  }
}

/** The daemon's /status.json, or one sentence saying why not. */
export async function fetchStatus(url: URL, timeoutMs: number): Promise<StatusJson> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const { name, message, cause } = error as Error;
    const why =
      name === 'TimeoutError'
        ? `no answer in ${timeoutMs} ms`
        : cause instanceof Error
          ? cause.message
          : message;
    throw new CliError(`no syfala status at ${url.href}: ${why}`);
  }
  if (!response.ok) {
    throw new CliError(
      `no syfala status at ${url.href}: HTTP ${response.status} (is it serve --metrics?)`,
    );
  }
  return (await response.json()) as StatusJson;
}

/**
 * The endpoint and each session as `syfala info` prints them: both ways of every session, each
 * as its receiver measures it (the daemon for the client's audio, the client's Stats for the
 * daemon's), with the sender's count beside it.
 */
export function statusText(status: StatusJson): string {
  const { endpoint } = status;
  const lines = [
    `name:      ${endpoint.name}`,
    `id:        ${endpoint.id}`,
    `address:   ${endpoint.bind}, UDP port ${endpoint.udpPort}, TCP control ${endpoint.controlPort}, audio ${endpoint.audioPort}`,
    `inputs:    ${endpoint.inputs.join(', ') || 'none'}`,
    `outputs:   ${endpoint.outputs.join(', ') || 'none'}`,
    `audio:     encryption ${endpoint.encryption ? 'on' : 'off'}, latency ${endpoint.latency === 'auto' ? 'auto' : `${endpoint.latency} fr`}, drift compensation ${endpoint.driftCompensation ? 'on' : 'off'}`,
    `card:      ${status.device === null ? 'not open' : `${status.device.xruns} ${cardEvents(endpoint.backend)} in ${status.device.periods} periods`}`,
    `sessions:  ${status.sessions.length === 0 ? 'none' : status.sessions.length}`,
    ...status.sessions.flatMap(sessionLines),
  ];
  return lines.join('\n');
}

function sessionLines(session: SessionStatus): string[] {
  const head =
    `  "${session.client}" from ${session.address} over ${session.transport.toUpperCase()}, ` +
    `${session.encrypted ? 'encrypted' : 'NOT encrypted'}, ${session.state.replace('_', ' ')}`;
  const local = session.local?.streams ?? [];
  const peer = session.peer?.streams ?? [];
  const ways = [
    // The client's audio: the daemon receives it, the client's Stats count what it sent.
    ...local
      .filter((s) => s.direction === 'receive')
      .map((s) =>
        wayLine(
          'client → daemon',
          s,
          peer.find((p) => same(p, s)),
          'daemon',
          'client',
        ),
      ),
    // The daemon's audio: the client's Stats say what arrived.
    ...local
      .filter((s) => s.direction === 'send')
      .map((s) =>
        wayLine(
          'daemon → client',
          peer.find((p) => same(p, s)),
          s,
          'client',
          'daemon',
        ),
      ),
  ];
  return [
    head,
    ...ways,
    ...(session.peer === null ? ['    (the client sends no Stats: its side is not known)'] : []),
  ];
}

function same(a: StreamStatus, b: StreamStatus): boolean {
  return a.direction === b.direction && a.stream === b.stream;
}

/** "client → daemon, stream 1 (f32/48000Hz/2ch/32): client sent 4510; daemon got 4502, lost 0 …". */
function wayLine(
  way: string,
  received: StreamStatus | undefined,
  sent: StreamStatus | undefined,
  receiver: string,
  sender: string,
): string {
  const stream = received ?? sent!;
  const parts = [`    ${way}, stream ${stream.stream + 1} (${stream.format}):`];
  if (sent !== undefined) parts.push(`${sender} sent ${sent.packets};`);
  if (received === undefined) return [...parts, `${receiver}: not known yet`].join(' ');
  const ms = (seconds: number | undefined): string =>
    seconds === undefined ? '-' : `${(seconds * 1000).toFixed(1)} ms`;
  const fields = [
    `${receiver} got ${received.packets}`,
    `lost ${received.lostFrames ?? '-'} fr`,
    `late ${received.latePackets ?? '-'}`,
    `dup ${received.duplicatePackets ?? '-'}`,
    `underruns ${received.underruns ?? '-'}`,
    `jitter ${ms(received.jitterSeconds)}`,
    `target ${ms(received.targetLatencySeconds)}`,
    `buffered ${ms(received.bufferedSeconds)}`,
  ];
  return [...parts, fields.join(', ')].join(' ');
}
