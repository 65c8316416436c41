import type { Redundancy } from '@syfala/proto';
import type { Backend } from '../backend-flags.js';
import { describeFormat } from '@syfala/proto';
import type { SessionStateName } from '@syfala/network';
import { formatAddress } from '@syfala/network';
import type { HistorySeries, SessionHistories } from './history.js';
import type { DaemonSnapshot } from './snapshot.js';
import { gaugesInSeconds, type StreamSummary, type ViewSummary } from './session-summary.js';

/** What `syfala serve` logs as it starts listening: the endpoint, as the status page shows it. */
export interface EndpointStatus {
  readonly name: string;
  /** The sound card's backend: the virtual card's xruns are its timer's stalls (cardEvents). */
  readonly backend: Backend;
  readonly id: string;
  readonly bind: string;
  readonly udpPort: number;
  readonly controlPort: number;
  readonly audioPort: number;
  /** Formats as "f32/48000Hz/2ch/32". */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly multicast: boolean;
  readonly mdns: boolean;
  readonly psk: boolean;
  readonly encryption: boolean;
  /** The jitter-buffer target: frames, or 'auto'. */
  readonly latency: number | 'auto';
  readonly driftCompensation: boolean;
}

/**
 * One stream as one side measured it (StreamSummary: engine units, receive-side fields absent
 * where that side does not measure them), with its gauges in seconds too.
 */
export interface StreamStatus extends Omit<StreamSummary, 'format'> {
  /** "f32/48000Hz/2ch/32". */
  readonly format: string;
  readonly channels: number;
  readonly targetLatencySeconds?: number;
  readonly bufferedSeconds?: number;
  readonly jitterSeconds?: number;
}

export interface ViewStatus {
  readonly streams: readonly StreamStatus[];
  readonly authFailures?: number;
  readonly replays?: number;
  /** The client's device xruns (peer view only). */
  readonly xruns?: number;
}

export interface SessionStatus {
  /** The session's audio address, host:port (the metrics' `session` label). */
  readonly id: string;
  readonly client: string;
  readonly clientId: string;
  /** Where its control connection comes from, host:port. */
  readonly address: string;
  readonly transport: 'tcp' | 'udp';
  readonly encrypted: boolean;
  readonly state: SessionStateName;
  readonly redundancy: Redundancy;
  /** The daemon's counters; null while the session does not stream. */
  readonly local: ViewStatus | null;
  /** The client's latest Stats; null until it sends one. */
  readonly peer: ViewStatus | null;
  /** One sample a second, oldest first, up to 600: what each side receives. */
  readonly history: { readonly local: HistorySeries; readonly peer: HistorySeries };
}

/** GET /status.json: everything the status page shows (OBSERVABILITY.md §3). */
export interface StatusJson {
  /** When the daemon's state was read, ms since the epoch. */
  readonly time: number;
  readonly endpoint: EndpointStatus;
  /** The daemon's sound card; null until open. */
  readonly device: { readonly periods: number; readonly xruns: number } | null;
  /** Connections and clients turned away since start, by reason. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly sessions: readonly SessionStatus[];
}

export function statusJson(
  snapshot: DaemonSnapshot,
  endpoint: EndpointStatus,
  histories: SessionHistories,
): StatusJson {
  return {
    time: snapshot.time,
    endpoint,
    device: snapshot.engine.device ?? null,
    refusals: snapshot.server.refused as Record<string, number>,
    sessions: snapshot.sessions.map(({ session, id, client, state, local, peer }) => ({
      id,
      client,
      clientId: session.client.clientId,
      address: formatAddress(session.client.address, session.client.port),
      transport: session.channel.transport,
      encrypted: session.encrypted,
      state,
      redundancy: session.redundancy,
      local: viewStatus(local),
      peer: viewStatus(peer),
      history: histories.of(session),
    })),
  };
}

function viewStatus(view: ViewSummary | undefined): ViewStatus | null {
  if (view === undefined) return null;
  const { streams, ...counters } = view;
  return { ...counters, streams: streams.map(streamStatus) };
}

function streamStatus(stream: StreamSummary): StreamStatus {
  return {
    ...stream,
    format: describeFormat(stream.format),
    channels: stream.format.channels,
    ...gaugesInSeconds(stream),
  };
}
