import type { Endpoint, PeerStatsReport, SessionEnd } from '@syfala/network';
import { bytesPerFrame, type Redundancy, type StreamFormats } from '@syfala/proto';
import { describeError } from '../../cli-error.js';
import { missingFrames, playoutParts, playoutStats, statsCountersText } from '../../output.js';
import type { StreamResult } from '../../stream-client.js';

/** What `connect` prints last, on every way out once the session is under way. */
export interface Summary {
  readonly type: 'summary';
  readonly elapsedS: number;
  /**
   * Per received stream (the server's inputs): frames received, and frames played that never
   * arrived (missingFrames: lost, plus underrunFrames once the stream had started).
   */
  readonly streams: {
    wire: number;
    framesReceived: number;
    missingFrames: number;
    lostFrames: number;
    underrunFrames: number;
    /** Frames that arrived but were dropped unplayed: the buffer held too much (a slip). */
    skippedFrames: number;
    /** The jitter-buffer target at the end (with --latency auto, where it settled). */
    targetLatencyFrames: number;
    /** Arrival jitter (µs) and clock drift (ppm), when measured (playoutStats). */
    jitterUs?: number;
    driftPpm?: number;
  }[];
  readonly recorded: string[];
  readonly played: string | undefined;
  /** Redundant periods in force: received from the server, and sent to it. */
  readonly redundancy: Redundancy;
  /** The line `connect` printed about encryption (audioProtection), once the session was up. */
  readonly audio: string | undefined;
  /**
   * Encrypted audio: the server's datagrams dropped unplayed, as failing authentication and as
   * replays (docs/SECURITY.md §4).
   */
  readonly authFailed?: number;
  readonly replayed?: number;
  /**
   * The server's view of this client's audio, its session totals from its last Stats (what it
   * received from us, and lost); absent when it sent none.
   */
  readonly serverView?: PeerStatsReport['session'];
  /** Set when the server ended the session first. */
  readonly ended: SessionEnd | undefined;
  /** Set when this side failed: the sentence stderr shows too. */
  readonly failed: string | undefined;
}

/** What the session's card played and recorded, as the summary names them. */
export interface CardFiles {
  /** WAV paths, or 'stdout'. */
  readonly recorded: readonly string[];
  /** A WAV path, or 'stdin'. */
  readonly played: string | undefined;
}

/** Whether the audio could be encrypted: a pre-shared key given, encryption offered. */
export interface Protection {
  readonly psk: boolean;
  /** False with --no-encryption. */
  readonly offered: boolean;
}

/** `result` is missing when the session failed before streaming (refused, no device). */
export function summarize(
  result: StreamResult | undefined,
  failure: unknown,
  formats: StreamFormats,
  elapsedMs: number,
  files: CardFiles,
  protection: Protection,
): Summary {
  const received = result?.stats.peers[0]?.received ?? [];
  const security = result?.stats.peers[0]?.security;
  return {
    type: 'summary',
    elapsedS: Math.round(elapsedMs / 100) / 10,
    streams: received.map((stream) => {
      const format = formats.inputs[stream.wire];
      return {
        wire: stream.wire,
        framesReceived:
          format === undefined ? 0 : Math.floor(stream.receivedBytes / bytesPerFrame(format)),
        missingFrames: missingFrames(stream),
        lostFrames: stream.lostFrames,
        underrunFrames: stream.underrunFrames,
        skippedFrames: stream.skippedFrames,
        targetLatencyFrames: stream.targetLatencyFrames,
        ...playoutStats(stream),
      };
    }),
    recorded: result === undefined ? [] : [...files.recorded],
    played: files.played,
    redundancy: result?.redundancy ?? { serverToClient: 0, clientToServer: 0 },
    audio: result === undefined ? undefined : audioProtection(result.encrypted, protection),
    ...(security !== undefined && {
      authFailed: security.authFailed,
      replayed: security.replayed,
    }),
    ...(result?.serverView !== undefined && { serverView: result.serverView.session }),
    ended: result?.ended,
    failed: failure === undefined ? undefined : describeError(failure),
  };
}

/** The summary for a person: a line of totals, then one per thing worth saying. */
export function summaryText(summary: Summary, endpoint: Endpoint): string {
  const frames = summary.streams.map((s) => s.framesReceived);
  const total = (key: 'missingFrames' | 'lostFrames'): number =>
    summary.streams.reduce((sum, s) => sum + s[key], 0);
  const lines = [
    `streamed ${summary.elapsedS} s with ${endpoint.name} (${endpoint.host}): received ` +
      `${frames.length === 0 ? 0 : frames.join(' + ')} frames, missing ${total('missingFrames')} ` +
      `(lost ${total('lostFrames')})`,
  ];
  const first = summary.streams[0];
  if (first !== undefined) {
    lines.push(
      [`target ${first.targetLatencyFrames} fr at the end`, ...playoutParts(first)].join(', '),
    );
  }
  if (summary.recorded.length > 0) lines.push(`recorded ${summary.recorded.join(', ')}`);
  if (summary.played !== undefined) lines.push(`played ${summary.played}`);
  const { serverToClient, clientToServer } = summary.redundancy;
  if (serverToClient + clientToServer > 0) {
    lines.push(`redundancy: ${serverToClient} period(s) received again, ${clientToServer} sent`);
  }
  if (summary.audio !== undefined) {
    const dropped =
      summary.authFailed === undefined
        ? ''
        : `; auth failures ${summary.authFailed}, replays ${summary.replayed}`;
    lines.push(`${summary.audio}${dropped}`);
  }
  if (summary.serverView !== undefined) {
    lines.push(`${endpoint.name} says: ${statsCountersText(summary.serverView)}`);
  }
  return lines.join('\n');
}

/** What protects the audio, in one line: encrypted (authenticated with a pre-shared key), or not and why. */
export function audioProtection(encrypted: boolean, protection: Protection): string {
  if (encrypted) {
    return protection.psk
      ? 'audio: encrypted (ChaCha20-Poly1305, keys bound to the pre-shared key)'
      : 'audio: encrypted (ChaCha20-Poly1305, not authenticated: no pre-shared key)';
  }
  return `audio: NOT encrypted (${protection.offered ? 'server does not offer it' : '--no-encryption'})`;
}

/** Why the server's side ended the session, in one sentence. */
export function describeEnd(end: SessionEnd): string {
  const detail = end.text === '' ? '' : ` (${end.text})`;
  switch (end.reason) {
    case 'connection-lost':
      return `the connection to the server was lost${detail}`;
    case 'timeout':
      return 'the server stopped answering (no heartbeat within the timeout)';
    case 'device-lost':
      return `the server lost its sound card${detail}`;
    default:
      return `the server ended the session: ${end.reason}${detail}`;
  }
}
