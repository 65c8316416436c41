import type { EngineStats, ReceivedStreamStats } from '@syfala/audio';
import type { Backend } from './backend-flags.js';
import type { Endpoint, EndpointEvent } from '@syfala/network';
import { describeFormat, type ControlStatsCounters, type Format } from '@syfala/proto';

export type LogFormat = 'text' | 'json';

/**
 * `syfala serve`'s log on stderr, one line per event: "HH:MM:SS text" for a person, or a JSON
 * object `{ time, event, ...fields }` for a machine.
 */
export class Log {
  readonly #format: LogFormat;

  constructor(format: LogFormat) {
    this.#format = format;
  }

  event(event: string, fields: Record<string, unknown>, text: string): void {
    const now = new Date();
    process.stderr.write(
      this.#format === 'json'
        ? `${JSON.stringify({ time: now.toISOString(), event, ...fields })}\n`
        : `${now.toTimeString().slice(0, 8)} ${text}\n`,
    );
  }
}

/** "f32/48000Hz/2ch/32, i24/48000Hz/2ch/32", or "none". */
export function describeFormats(formats: readonly Format[]): string {
  return formats.length === 0 ? 'none' : formats.map(describeFormat).join(', ');
}

/** "host:udpPort/controlPort"; a UDP-control-only endpoint shows "/udp". */
export function endpointAddress(endpoint: Endpoint): string {
  const control = endpoint.controlPort === 0 ? 'udp' : String(endpoint.controlPort);
  return `${endpoint.host}:${endpoint.udpPort}/${control}`;
}

const TABLE_HEADER = ['NAME', 'ID', 'ADDRESS', 'INPUTS', 'OUTPUTS', 'PROTO', 'VIA'];

function endpointRow(endpoint: Endpoint): string[] {
  const formats = (list: readonly Format[] | undefined): string =>
    list === undefined ? '(not announced)' : describeFormats(list);
  return [
    endpoint.name,
    endpoint.id.slice(0, 8),
    endpointAddress(endpoint),
    formats(endpoint.formats?.inputs),
    formats(endpoint.formats?.outputs),
    `v${endpoint.protocolVersion}`,
    endpoint.via.join('+'),
  ];
}

/** Endpoints as an aligned table with a header row. */
export function endpointTable(endpoints: readonly Endpoint[]): string {
  const rows = [TABLE_HEADER, ...endpoints.map(endpointRow)];
  const widths = TABLE_HEADER.map((_, column) =>
    Math.max(...rows.map((row) => row[column]!.length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One line for a discovery event: "added    Studio A  3f2a9c1e  …". */
export function endpointEventLine(event: EndpointEvent): string {
  const what = event.type === 'removed' ? `removed (${event.reason})` : event.type;
  return [what.padEnd(8), ...endpointRow(event.endpoint)].join('  ');
}

/**
 * Frames a received stream played that never arrived: concealed gaps (lost) and the silence of
 * underruns once the stream had started (a late or stopped sender). Priming before the first
 * frame is not counted: nothing was due yet.
 */
export function missingFrames(
  stream: Pick<ReceivedStreamStats, 'lostFrames' | 'underrunFrames'>,
): number {
  return stream.lostFrames + stream.underrunFrames;
}

/**
 * A side's totals from a Stats report, as a person reads them: "sent 500, received 498
 * datagrams, lost 96 frames, late 0, duplicate 0, underruns 1" (what the report has).
 */
export function statsCountersText(counters: ControlStatsCounters): string {
  const {
    packetsSent,
    packetsReceived,
    lostFrames,
    latePackets,
    duplicatePackets,
    underruns,
    skippedFrames,
  } = counters;
  const datagrams = [
    ...(packetsSent === undefined ? [] : [`sent ${packetsSent}`]),
    ...(packetsReceived === undefined ? [] : [`received ${packetsReceived}`]),
  ];
  return [
    ...(datagrams.length === 0 ? [] : [`${datagrams.join(', ')} datagrams`]),
    ...(lostFrames === undefined ? [] : [`lost ${lostFrames} frames`]),
    ...(latePackets === undefined ? [] : [`late ${latePackets}`]),
    ...(duplicatePackets === undefined ? [] : [`duplicate ${duplicatePackets}`]),
    ...(underruns === undefined ? [] : [`underruns ${underruns}`]),
    ...(skippedFrames === undefined ? [] : [`skipped ${skippedFrames} frames`]),
  ].join(', ');
}

/** What `syfala connect` reports each second about the audio it receives. */
export interface StreamStatus {
  readonly elapsedS: number;
  /** The jitter buffer's target of received stream 0; undefined when the server sends nothing. */
  readonly targetLatencyFrames: number | undefined;
  readonly targetLatencyMs: number | undefined;
  /** Frames buffered now in received stream 0: the latency the buffer adds, measured. */
  readonly bufferedFrames: number | undefined;
  readonly bufferedMs: number | undefined;
  /** The arrival jitter of received stream 0 (a recent peak), µs. */
  readonly jitterUs?: number;
  /** With drift compensation: the server's clock against the device's, ppm (+: it is faster). */
  readonly driftPpm?: number;
  /** Summed over every received stream. */
  readonly lostFrames: number;
  /** Frames played that never arrived (missingFrames), summed over every received stream. */
  readonly missingFrames: number;
  readonly late: number;
  readonly duplicate: number;
  readonly underruns: number;
  readonly xruns: number;
  readonly datagramsReceived: number;
}

/** `rateOf(wire)`: the sample rate of a received wire stream, when known. */
export function streamStatus(
  stats: EngineStats,
  elapsedMs: number,
  rateOf: (wire: number) => number | undefined,
): StreamStatus {
  const received = stats.peers[0]?.received ?? [];
  const sum = (key: 'lostFrames' | 'late' | 'duplicate' | 'underruns'): number =>
    received.reduce((total, stream) => total + stream[key], 0);
  const first = received[0];
  const rate = first === undefined ? undefined : rateOf(first.wire);
  const ms = (frames: number | undefined): number | undefined =>
    frames === undefined || rate === undefined
      ? undefined
      : Math.round((frames / rate) * 10_000) / 10;
  return {
    elapsedS: Math.round(elapsedMs / 100) / 10,
    targetLatencyFrames: first?.targetLatencyFrames,
    targetLatencyMs: ms(first?.targetLatencyFrames),
    bufferedFrames: first?.bufferedFrames,
    bufferedMs: ms(first?.bufferedFrames),
    ...playoutStats(first),
    lostFrames: sum('lostFrames'),
    missingFrames: received.reduce((total, stream) => total + missingFrames(stream), 0),
    late: sum('late'),
    duplicate: sum('duplicate'),
    underruns: sum('underruns'),
    xruns: stats.device?.xruns ?? 0,
    datagramsReceived: stats.socket.datagramsReceived,
  };
}

/**
 * A received stream's jitter (µs) and drift (ppm), rounded for reading, each only when the
 * engine measures it (adaptive latency, drift compensation).
 */
export function playoutStats(
  stream: { readonly jitterUs?: number; readonly driftPpm?: number } | undefined,
): { jitterUs?: number; driftPpm?: number } {
  const jitterUs = stream?.jitterUs;
  const driftPpm = stream?.driftPpm;
  return {
    ...(jitterUs !== undefined && { jitterUs: Math.round(jitterUs) }),
    ...(driftPpm !== undefined && { driftPpm: Math.round(driftPpm * 10) / 10 }),
  };
}

/** ["jitter 0.4 ms", "drift +12.3 ppm"]: the parts measured. */
export function playoutParts(stats: { jitterUs?: number; driftPpm?: number }): string[] {
  const parts: string[] = [];
  if (stats.jitterUs !== undefined) parts.push(`jitter ${(stats.jitterUs / 1000).toFixed(1)} ms`);
  if (stats.driftPpm !== undefined) {
    parts.push(`drift ${stats.driftPpm >= 0 ? '+' : ''}${stats.driftPpm.toFixed(1)} ppm`);
  }
  return parts;
}

/**
 * What a sound card's `xruns` count is called where a person reads it: the virtual card never
 * loses audio, so what it counts (its timer running over 2 ms late) is named for what it is.
 */
export function cardEvents(backend: Backend): 'xruns' | 'stalls' {
  return backend === 'virtual' ? 'stalls' : 'xruns';
}

/** What each field of the status line means, for `syfala connect --help`. */
export const STATUS_LINE_HELP = [
  'The status line, each second (--json: the same as JSON lines):',
  "  target     the jitter buffer's target for the received audio (--latency), frames and ms",
  '  buffered   what it holds now: the latency it adds, measured',
  '  jitter     how irregularly the audio arrives (a recent peak)',
  "  drift      the server's clock against this card's, with drift compensation",
  '  missing    frames played that never arrived (lost, or silence after an underrun)',
  '  lost       frames concealed because their packet never came',
  '  late, dup  packets dropped for arriving too late, or twice',
  '  underruns  times the buffer ran dry',
  '  xruns      times this sound card fell behind (one per stall); on the virtual card',
  '             "stalls": its clock, a Node timer, ran over 2 ms late (nothing is lost)',
  '  rx         audio datagrams received',
  '  server:    what the server says it gets from you: lost, late, underruns (its Stats)',
].join('\n');

/**
 * "0:03  target 480 fr (10 ms)  buffered 452 fr (9.4 ms)  jitter 0.4 ms  drift +12.3 ppm
 * missing 32  lost 0  late 0  dup 0  underruns 1  xruns 0  rx 4500  | server: lost 0  late 0
 * underruns 0" (drift when measured; the server's part once its Stats arrive)
 */
export function statusLine(
  status: StreamStatus,
  server: ControlStatsCounters | undefined,
  backend: Backend,
): string {
  const seconds = Math.floor(status.elapsedS);
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  const frames = (name: string, n: number | undefined, ms: number | undefined): string =>
    n === undefined ? `${name} -` : `${name} ${n} fr` + (ms === undefined ? '' : ` (${ms} ms)`);
  return [
    clock,
    frames('target', status.targetLatencyFrames, status.targetLatencyMs),
    frames('buffered', status.bufferedFrames, status.bufferedMs),
    ...playoutParts(status),
    `missing ${status.missingFrames}`,
    `lost ${status.lostFrames}`,
    `late ${status.late}`,
    `dup ${status.duplicate}`,
    `underruns ${status.underruns}`,
    `${cardEvents(backend)} ${status.xruns}`,
    `rx ${status.datagramsReceived}`,
    ...(server === undefined
      ? []
      : [
          `| server: lost ${server.lostFrames ?? '-'}`,
          `late ${server.latePackets ?? '-'}`,
          `underruns ${server.underruns ?? '-'}`,
        ]),
  ].join('  ');
}
