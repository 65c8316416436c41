import { performance } from 'node:perf_hooks';
import type { EngineStats } from '@syfala/audio';
import type { Endpoint, PeerStatsReport } from '@syfala/network';
import type { StreamFormats } from '@syfala/proto';
import type { Backend } from '../../backend-flags.js';
import {
  describeFormats,
  endpointAddress,
  statusLine,
  streamStatus,
  type StreamStatus,
} from '../../output.js';
import type { StreamResult } from '../../stream-client.js';
import {
  audioProtection,
  summarize,
  summaryText,
  type CardFiles,
  type Protection,
  type Summary,
} from './summary.js';

/** Carriage return, then erase to the end of the line: the status line is redrawn in place. */
const REDRAW = '\r\x1b[K';

/** How a session is shown: for a person (a status line redrawn in place) or for a script. */
interface Lines {
  /** Written when streaming starts. */
  header(encrypted: boolean): string;
  stats(status: StreamStatus, serverView: PeerStatsReport | undefined): string;
  summary(summary: Summary): string;
  /** Takes the status line off the screen (before a note, and once streaming ends). */
  readonly clear: string;
}

const JSON_LINES: Lines = {
  header: () => '',
  stats: (status, serverView) =>
    `${JSON.stringify({ type: 'stats', ...status, ...(serverView && { serverView: serverView.session }) })}\n`,
  summary: (summary) => `${JSON.stringify(summary)}\n`,
  clear: '',
};

function statusLines(session: SessionShown): Lines {
  const { endpoint, formats, backend, protection } = session;
  return {
    header: (encrypted) =>
      `streaming with ${endpoint.name} (${endpointAddress(endpoint)}): receiving ` +
      `${describeFormats(formats.inputs)}, sending ${describeFormats(formats.outputs)}; ` +
      'Ctrl-C stops\n' +
      `${audioProtection(encrypted, protection)}\n`,
    stats: (status, serverView) => `${REDRAW}${statusLine(status, serverView?.session, backend)}`,
    summary: (summary) => `${summaryText(summary, endpoint)}\n`,
    clear: REDRAW,
  };
}

/** What the reporter says about. */
export interface SessionShown {
  readonly endpoint: Endpoint;
  readonly formats: StreamFormats;
  readonly backend: Backend;
  readonly files: CardFiles;
  readonly protection: Protection;
}

/**
 * What `connect` shows while it streams: a header and a status line each second on a terminal,
 * JSON lines otherwise (or with --json), on `out`; notes on stderr; the summary last. It keeps
 * the streaming time: from streaming() to the first stopped().
 */
export class SessionReporter {
  readonly #out: NodeJS.WriteStream;
  readonly #session: SessionShown;
  readonly #lines: Lines;
  readonly #arrivals: (stats: EngineStats, elapsedMs: number) => void;
  #startedAt: number | undefined;
  #stoppedAt: number | undefined;
  #streaming = false;

  /** `json`: JSON lines even on a terminal. */
  constructor(out: NodeJS.WriteStream, json: boolean, session: SessionShown) {
    this.#out = out;
    this.#session = session;
    this.#lines = json || !out.isTTY ? JSON_LINES : statusLines(session);
    this.#arrivals = arrivalWatch(session.endpoint.name, (text) => this.note(text));
  }

  /** Streaming has begun, `encrypted` or not. */
  streaming(encrypted: boolean): void {
    this.#startedAt = performance.now();
    this.#streaming = true;
    this.#out.write(this.#lines.header(encrypted));
  }

  /**
   * Streaming stopped (asked to, or the session ended): stopping, disconnecting and flushing the
   * files take a while, and that is not streaming time.
   */
  stopped(): void {
    this.#stoppedAt ??= performance.now();
  }

  /** The engine's counters and the server's view of us, each second while streaming. */
  stats(stats: EngineStats, serverView: PeerStatsReport | undefined): void {
    if (!this.#streaming) return;
    const elapsedMs = performance.now() - this.#startedAt!;
    this.#arrivals(stats, elapsedMs);
    const rateOf = (wire: number): number | undefined =>
      this.#session.formats.inputs[wire]?.sampleRate;
    this.#out.write(this.#lines.stats(streamStatus(stats, elapsedMs, rateOf), serverView));
  }

  /** The session is over: the status line goes; later notes are plain lines. */
  ended(): void {
    this.#streaming = false;
    this.#out.write(this.#lines.clear);
  }

  /** The last thing on `out`: `result` is missing when the session failed before streaming. */
  summary(result: StreamResult | undefined, failure: unknown): void {
    const { formats, files, protection } = this.#session;
    this.#out.write(
      this.#lines.summary(
        summarize(result, failure, formats, this.#elapsedMs(), files, protection),
      ),
    );
  }

  /** One sentence on stderr; on a terminal it takes the status line's place, redrawn below it. */
  note(text: string): void {
    const clear = this.#streaming && process.stderr.isTTY ? this.#lines.clear : '';
    process.stderr.write(`${clear}syfala: ${text}\n`);
  }

  /** A failure ends streaming (if it ever started) when it is seen. */
  #elapsedMs(): number {
    if (this.#startedAt === undefined) return 0;
    return (this.#stoppedAt ?? performance.now()) - this.#startedAt;
  }
}

/**
 * Says, once, when the server's audio stops arriving (nothing new between two stats), and once
 * more if it comes back: the concealment plays on, so a listener may not notice.
 */
function arrivalWatch(
  name: string,
  note: (text: string) => void,
): (stats: EngineStats, elapsedMs: number) => void {
  let heard = { bytes: 0, atMs: 0 };
  let silent = false;
  return (stats, elapsedMs) => {
    const received = stats.peers[0]?.received ?? [];
    if (received.length === 0) return;
    const bytes = received.reduce((total, stream) => total + stream.receivedBytes, 0);
    const since = ((elapsedMs - heard.atMs) / 1000).toFixed(1);
    if (bytes > heard.bytes) {
      if (silent) note(`audio from ${name} resumed after ${since} s`);
      silent = false;
      heard = { bytes, atMs: elapsedMs };
    } else if (!silent) {
      silent = true;
      note(`no audio has arrived from ${name} for ${since} s`);
    }
  };
}
