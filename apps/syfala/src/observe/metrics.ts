import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import { DECODE_ERROR_CODES, DISCONNECT_REASONS } from '@syfala/proto';
import type { DaemonSnapshot } from './snapshot.js';
import { gaugesInSeconds, type StreamSummary } from './session-summary.js';

/** The two text formats a scraper may ask for (OBSERVABILITY.md §2). */
export type MetricsFormat = 'openmetrics' | 'prometheus';

type Labels = Record<string, string>;
type Sample = readonly [labels: Labels, value: number];

/** One metric family: its name, help, labels and how to read its samples from a snapshot. */
interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labels: readonly string[];
  readonly samples: (snapshot: DaemonSnapshot) => Iterable<Sample>;
}

const SESSION_LABELS = ['client', 'session'] as const;
const STREAM_LABELS = [...SESSION_LABELS, 'direction', 'stream', 'view'] as const;
const SESSION_STATES = ['connected', 'starting-io', 'streaming', 'stopping-io'] as const;

/** Every session's streams in both views, with their labels, where `value` measures something. */
function* streamSamples(
  snapshot: DaemonSnapshot,
  value: (stream: StreamSummary) => number | undefined,
): Iterable<Sample> {
  for (const { id, client, local, peer } of snapshot.sessions) {
    for (const [view, summary] of [
      ['local', local],
      ['peer', peer],
    ] as const) {
      for (const stream of summary?.streams ?? []) {
        const measured = value(stream);
        if (measured === undefined) continue;
        const { direction } = stream;
        const labels = { client, session: id, direction, stream: String(stream.stream + 1), view };
        yield [labels, measured];
      }
    }
  }
}

function streamFamily(
  name: string,
  type: Family['type'],
  help: string,
  value: (stream: StreamSummary) => number | undefined,
): Family {
  return {
    name,
    type,
    help,
    labels: STREAM_LABELS,
    samples: (snapshot) => streamSamples(snapshot, value),
  };
}

/** `{ reason: count }` with every known reason, 0 when none, so a series exists before it counts. */
function byReason(reasons: readonly string[], counts: Partial<Record<string, number>>): Sample[] {
  const all = new Set([...reasons, ...Object.keys(counts)]);
  return [...all].map((reason) => [{ reason: labelValue(reason) }, counts[reason] ?? 0]);
}

/** "LENGTH_MISMATCH" → "length_mismatch", "starting-io" → "starting_io": label values alike. */
function labelValue(reason: string): string {
  return reason.toLowerCase().replace(/-/g, '_');
}

/** The metric families of OBSERVABILITY.md §4, in its order. */
export const FAMILIES: readonly Family[] = [
  {
    name: 'syfala_sessions',
    type: 'gauge',
    help: 'Client sessions open now, by state.',
    labels: ['state'],
    samples: ({ sessions }) =>
      SESSION_STATES.map((state) => [
        { state: labelValue(state) },
        sessions.filter((session) => session.state === state).length,
      ]),
  },
  {
    name: 'syfala_sessions_opened_total',
    type: 'counter',
    help: 'Client sessions opened since start.',
    labels: [],
    samples: ({ server }) => [[{}, server.sessionsOpened]],
  },
  {
    name: 'syfala_refusals_total',
    type: 'counter',
    help: 'Connections and clients turned away, by reason (busy, auth_failed, timeout, ...).',
    labels: ['reason'],
    samples: ({ server }) => byReason(DISCONNECT_REASONS, server.refused),
  },
  {
    name: 'syfala_control_input_errors_total',
    type: 'counter',
    help: "Errors met while handling a peer's input, on every plane.",
    labels: [],
    samples: ({ server }) => [[{}, server.inputErrors]],
  },
  {
    name: 'syfala_session_auth_failures_total',
    type: 'counter',
    help: 'Encrypted audio datagrams of the session that failed authentication.',
    labels: SESSION_LABELS,
    samples: ({ sessions }) =>
      sessions.flatMap(({ id, client, local }) =>
        local?.authFailures === undefined
          ? []
          : [[{ client, session: id }, local.authFailures] as const],
      ),
  },
  {
    name: 'syfala_session_replays_total',
    type: 'counter',
    help: 'Authentic audio datagrams of the session refused as replays.',
    labels: SESSION_LABELS,
    samples: ({ sessions }) =>
      sessions.flatMap(({ id, client, local }) =>
        local?.replays === undefined ? [] : [[{ client, session: id }, local.replays] as const],
      ),
  },
  streamFamily(
    'syfala_stream_packets_total',
    'counter',
    'UDP audio datagrams of the stream, sent or received by the side of view.',
    (stream) => stream.packets,
  ),
  streamFamily(
    'syfala_stream_bytes_total',
    'counter',
    'Audio bytes of the stream: payload sent or received once (local), as the Stats say (peer).',
    (stream) => stream.bytes,
  ),
  streamFamily(
    'syfala_stream_lost_frames_total',
    'counter',
    'Received frames concealed because they never arrived.',
    (stream) => stream.lostFrames,
  ),
  streamFamily(
    'syfala_stream_missing_frames_total',
    'counter',
    'Received frames played that never arrived: lost, and underrun silence once started.',
    (stream) => stream.missingFrames,
  ),
  streamFamily(
    'syfala_stream_skipped_frames_total',
    'counter',
    'Received frames dropped unplayed: slips back down to the target latency.',
    (stream) => stream.skippedFrames,
  ),
  streamFamily(
    'syfala_stream_late_packets_total',
    'counter',
    'Received datagrams dropped because their frames had already played.',
    (stream) => stream.latePackets,
  ),
  streamFamily(
    'syfala_stream_duplicate_packets_total',
    'counter',
    'Received datagrams dropped because their frames had already arrived.',
    (stream) => stream.duplicatePackets,
  ),
  streamFamily(
    'syfala_stream_concealed_gaps_total',
    'counter',
    'Gaps in the received stream filled by loss concealment (fade mode).',
    (stream) => stream.concealedGaps,
  ),
  streamFamily(
    'syfala_stream_underruns_total',
    'counter',
    'Times the jitter buffer of the received stream ran dry.',
    (stream) => stream.underruns,
  ),
  streamFamily(
    'syfala_stream_jitter_seconds',
    'gauge',
    'Arrival jitter of the received stream (a recent peak), with adaptive latency.',
    (stream) => gaugesInSeconds(stream).jitterSeconds,
  ),
  streamFamily(
    'syfala_stream_drift_ratio',
    'gauge',
    "The sender's clock against the receiver's, minus 1 (1e-6 is 1 ppm), with drift compensation.",
    (stream) => (stream.driftPpm === undefined ? undefined : stream.driftPpm * 1e-6),
  ),
  streamFamily(
    'syfala_stream_target_latency_seconds',
    'gauge',
    "The received stream's jitter-buffer target.",
    (stream) => gaugesInSeconds(stream).targetLatencySeconds,
  ),
  streamFamily(
    'syfala_stream_buffered_seconds',
    'gauge',
    'Audio of the received stream buffered now, waiting to play.',
    (stream) => gaugesInSeconds(stream).bufferedSeconds,
  ),
  {
    name: 'syfala_device_periods_total',
    type: 'counter',
    help: "Periods the daemon's sound card ran.",
    labels: [],
    samples: ({ engine }) => [[{}, engine.device?.periods ?? 0]],
  },
  {
    name: 'syfala_device_xruns_total',
    type: 'counter',
    help: "Periods the sound card could not deliver on time: the daemon's (local), each client's (peer).",
    labels: ['view', ...SESSION_LABELS],
    samples: ({ engine, sessions }) => [
      [{ view: 'local' }, engine.device?.xruns ?? 0],
      ...sessions.flatMap(({ id, client, peer }) =>
        peer?.xruns === undefined
          ? []
          : [[{ view: 'peer', client, session: id }, peer.xruns] as const],
      ),
    ],
  },
  {
    name: 'syfala_socket_datagrams_received_total',
    type: 'counter',
    help: 'Datagrams that reached the audio socket.',
    labels: [],
    samples: ({ engine }) => [[{}, engine.socket.datagramsReceived]],
  },
  {
    name: 'syfala_socket_rejected_datagrams_total',
    type: 'counter',
    help: 'Datagrams on the audio socket no peer played, by reason: a decode error, unknown_source, unknown_stream.',
    labels: ['reason'],
    samples: ({ engine: { socket } }) =>
      byReason([...DECODE_ERROR_CODES, 'unknown_source', 'unknown_stream'], {
        ...socket.rejected,
        unknown_source: socket.unknownSource,
        unknown_stream: socket.unknownStream,
      }),
  },
  {
    name: 'syfala_socket_send_errors_total',
    type: 'counter',
    help: 'Audio datagrams the socket failed to send.',
    labels: [],
    samples: ({ engine }) => [[{}, engine.socket.sendErrors]],
  },
];

/**
 * The daemon's metrics in both text formats, read at scrape time from `take()`. prom-client
 * renames a counter in place when it renders OpenMetrics (dropping `_total`), so each format has
 * its own registry and metric objects.
 */
export class DaemonMetrics {
  readonly #registries: Record<MetricsFormat, Registry<RegistryContentType>>;

  constructor(take: () => Promise<DaemonSnapshot>) {
    const registry = (contentType: RegistryContentType): Registry<RegistryContentType> => {
      const created = new Registry<RegistryContentType>();
      created.setContentType(contentType);
      for (const family of FAMILIES) register(created, family, take);
      return created;
    };
    this.#registries = {
      openmetrics: registry(Registry.OPENMETRICS_CONTENT_TYPE),
      prometheus: registry(Registry.PROMETHEUS_CONTENT_TYPE),
    };
  }

  /** The scrape body and its content type. */
  async render(format: MetricsFormat): Promise<{ contentType: string; body: string }> {
    const registry = this.#registries[format];
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}

function register(
  registry: Registry<RegistryContentType>,
  family: Family,
  take: () => Promise<DaemonSnapshot>,
): void {
  const config = { name: family.name, help: family.help, labelNames: family.labels };
  // Every family of one scrape awaits the same snapshot (Snapshots.take shares a read under way).
  if (family.type === 'counter') {
    new Counter({
      ...config,
      registers: [registry],
      async collect() {
        const snapshot = await take();
        this.reset();
        for (const [labels, value] of family.samples(snapshot)) this.inc(labels, value);
      },
    });
  } else {
    new Gauge({
      ...config,
      registers: [registry],
      async collect() {
        const snapshot = await take();
        this.reset();
        for (const [labels, value] of family.samples(snapshot)) this.set(labels, value);
      },
    });
  }
}
