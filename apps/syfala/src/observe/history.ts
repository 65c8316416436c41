import type { ServerSession } from '@syfala/network';
import type { DaemonSnapshot } from './snapshot.js';
import {
  firstReceived,
  gaugesInSeconds,
  sumOf,
  type SessionSummary,
  type ViewSummary,
} from './session-summary.js';

/** One sample a second, 10 minutes per session (OBSERVABILITY.md §3). */
export const HISTORY_SAMPLES = 600;
export const HISTORY_INTERVAL_MS = 1000;

const SERIES = [
  'targetLatencySeconds',
  'bufferedSeconds',
  'jitterSeconds',
  'lossFramesPerSecond',
] as const;
type SeriesName = (typeof SERIES)[number];

/** One view's history, oldest sample first; null where nothing was measured (not streaming). */
export type HistorySeries = Record<SeriesName, (number | null)[]>;

/** A fixed ring of samples per series: NaN stands for "not measured". */
class Ring {
  readonly #series = new Map<SeriesName, Float64Array>(
    SERIES.map((name) => [name, new Float64Array(HISTORY_SAMPLES)]),
  );
  #next = 0;
  #count = 0;

  push(sample: Partial<Record<SeriesName, number>>): void {
    for (const [name, values] of this.#series) values[this.#next] = sample[name] ?? NaN;
    this.#next = (this.#next + 1) % HISTORY_SAMPLES;
    this.#count = Math.min(this.#count + 1, HISTORY_SAMPLES);
  }

  toJSON(): HistorySeries {
    const start = (this.#next - this.#count + HISTORY_SAMPLES) % HISTORY_SAMPLES;
    const read = (values: Float64Array): (number | null)[] =>
      Array.from({ length: this.#count }, (_, i) => {
        const value = values[(start + i) % HISTORY_SAMPLES]!;
        return Number.isNaN(value) ? null : value;
      });
    return Object.fromEntries(
      [...this.#series].map(([name, values]) => [name, read(values)]),
    ) as HistorySeries;
  }
}

/** A session's two histories and the loss counts of the previous sample, for rates. */
interface SessionHistory {
  readonly local: Ring;
  readonly peer: Ring;
  previous: { local: number | undefined; peer: number | undefined };
}

/**
 * Latency, jitter and loss of every open session, sampled from the snapshots `sample` gets (one
 * a second): what each side receives, as it measures it. A closed session's history goes.
 */
export class SessionHistories {
  readonly #sessions = new Map<ServerSession, SessionHistory>();

  sample(snapshot: DaemonSnapshot): void {
    const open = new Set(snapshot.sessions.map((summary) => summary.session));
    for (const session of this.#sessions.keys()) {
      if (!open.has(session)) this.#sessions.delete(session);
    }
    for (const summary of snapshot.sessions) this.#sampleSession(summary);
  }

  /** The session's history; empty series before its first sample. */
  of(session: ServerSession): { local: HistorySeries; peer: HistorySeries } {
    const history = this.#sessions.get(session);
    const empty = new Ring().toJSON();
    return {
      local: history?.local.toJSON() ?? empty,
      peer: history?.peer.toJSON() ?? empty,
    };
  }

  #sampleSession(summary: SessionSummary): void {
    let history = this.#sessions.get(summary.session);
    if (history === undefined) {
      history = {
        local: new Ring(),
        peer: new Ring(),
        previous: { local: undefined, peer: undefined },
      };
      this.#sessions.set(summary.session, history);
    }
    for (const view of ['local', 'peer'] as const) {
      const measured = summary[view];
      // Locally, frames played that never arrived; the client's Stats count its lost frames.
      const missing =
        measured === undefined
          ? undefined
          : view === 'local'
            ? sumOf(measured, 'receive', 'missingFrames')
            : sumOf(measured, 'send', 'lostFrames');
      const before = history.previous[view];
      history.previous[view] = missing;
      history[view].push({
        ...receivedSample(measured, view),
        ...(missing !== undefined &&
          before !== undefined && {
            lossFramesPerSecond: Math.max(0, missing - before) / (HISTORY_INTERVAL_MS / 1000),
          }),
      });
    }
  }
}

/** The gauges of the first stream the side of `view` receives. */
function receivedSample(
  summary: ViewSummary | undefined,
  view: 'local' | 'peer',
): Partial<Record<SeriesName, number>> {
  const stream = firstReceived(summary, view);
  return stream === undefined ? {} : gaugesInSeconds(stream);
}
