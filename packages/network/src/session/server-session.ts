import {
  NO_REDUNDANCY,
  type AudioRunKeys,
  type DisconnectReason,
  type Redundancy,
  type StreamFormats,
} from '@syfala/proto';
import { MAX_IO_RUNS } from '../control/audio-keys.js';
import type { ClientHello, ControlChannel, SessionMessage } from '../control/channel.js';
import { ControlError } from '../errors.js';
import type { HeartbeatOptions } from './liveness.js';
import { SessionCore, type ControlStats, type SessionEnd } from './session-core.js';

/**
 * What the server does when a client starts or stops I/O. `startIo` allocates and anchors the
 * clock *before* it resolves: resolving means "ready now" (PROTOCOL.md §6). Throw a ControlError
 * FAILURE (transient) or REFUSAL (final) to answer so; any other error answers Failure with its
 * message. When a session ends while I/O is active, `stopIo` is called to release what it held.
 */
export interface IoHandlers {
  startIo?(session: ServerSession): void | Promise<void>;
  stopIo?(session: ServerSession): void | Promise<void>;
}

export interface ServerSessionStats extends ControlStats {
  requestsHandled: number;
  retransmissionsAnswered: number;
}

type Answer = Extract<SessionMessage, { type: 'start-io-result' | 'stop-io-result' }>;

/** The server's side of one client's session. Its handlers run on this side's event loop. */
export class ServerSession extends SessionCore {
  /** What the client said in its handshake: id, name, address, audio port. */
  readonly client: ClientHello;
  /** The formats offered to this client, fixed for the session. */
  readonly formats: StreamFormats;
  readonly #handlers: IoHandlers;
  readonly #maxRedundancy: number;
  readonly #onEnd: (session: ServerSession, end: SessionEnd) => void;
  #redundancy: Redundancy = NO_REDUNDANCY;
  #lastAnswer: Answer | undefined;
  #inFlight: Promise<void> | undefined;
  #inFlightId = -1;
  #ioActive = false;
  /** StartIoRequests received, whatever their outcome (SECURITY.md §3: both sides count them). */
  #ioRuns = 0;
  readonly #stats = { requestsHandled: 0, retransmissionsAnswered: 0 };

  constructor(
    channel: ControlChannel,
    client: ClientHello,
    formats: StreamFormats,
    options: { heartbeat?: HeartbeatOptions; handlers: IoHandlers; maxRedundancy?: number },
    onEnd: (session: ServerSession, end: SessionEnd) => void,
  ) {
    super(channel, options.heartbeat ?? {});
    this.client = client;
    this.formats = formats;
    this.#handlers = options.handlers;
    this.#maxRedundancy = options.maxRedundancy ?? 0;
    this.#onEnd = onEnd;
  }

  /**
   * Redundancy for the I/O the last start-io started (PROTOCOL.md §7.3): `serverToClient` is
   * what the client asked for, capped at the server's maximum (the ok tells the client), and
   * `clientToServer` what the client said it sends. NO_REDUNDANCY when it said nothing (always
   * over UDP control). `startIo` reads it to set up sending.
   */
  get redundancy(): Redundancy {
    return this.#redundancy;
  }

  /** Whether this client's audio is encrypted (SECURITY.md §2): both offered it, over TCP. */
  get encrypted(): boolean {
    return this.channel.audioKeys !== undefined;
  }

  /**
   * StartIoRequests received so far, whatever their outcome (retransmissions not counted): the
   * last one started I/O run `ioRuns - 1`.
   */
  get ioRuns(): number {
    return this.#ioRuns;
  }

  /**
   * The audio keys of the current I/O run, the last StartIoRequest's, for the engine's
   * PeerSpec.security (`startIo` reads it; this side sends server → client). Undefined when the
   * audio is clear, or before any request.
   */
  get audioSecurity(): AudioRunKeys | undefined {
    if (this.#ioRuns === 0 || this.#ioRuns > MAX_IO_RUNS) return undefined;
    return this.channel.audioKeys?.forRun(this.#ioRuns - 1, 'server');
  }

  stats(): ServerSessionStats {
    return { ...this.counters, ...this.#stats };
  }

  /** Ends this client's session from the server side. */
  disconnect(reason: DisconnectReason = 'normal', text = ''): Promise<SessionEnd> {
    return this.end(reason, 'local', text);
  }

  protected handle(message: SessionMessage): void {
    if (message.type !== 'start-io' && message.type !== 'stop-io') return;
    const { type, requestId, redundancy } = message;
    const last = this.#lastAnswer;
    // A retransmission of the request answered last: the same answer again, nothing done twice.
    if (last !== undefined && last.type === `${type}-result` && last.requestId === requestId) {
      this.#stats.retransmissionsAnswered++;
      this.channel.send(last);
      return;
    }
    // A retransmission of the request being handled: its answer is on the way.
    if (this.#inFlight !== undefined && requestId === this.#inFlightId) return;
    if (type === 'start-io') this.#ioRuns++;
    if (this.#inFlight !== undefined) {
      this.#answer(type, requestId, 'refusal', 'another request is still being handled');
      return;
    }
    if (type === 'start-io' && this.encrypted && this.#ioRuns > MAX_IO_RUNS) {
      this.#answer(type, requestId, 'refusal', 'key ids exhausted: reconnect');
      return;
    }
    const wanted = type === 'start-io' ? 'connected' : 'streaming';
    if (this.state !== wanted) {
      const why = type === 'start-io' ? 'I/O is already active' : 'I/O is not active';
      this.#answer(type, requestId, 'refusal', why);
      return;
    }
    this.#stats.requestsHandled++;
    this.#inFlightId = requestId;
    this.#inFlight = this.#run(type, requestId, redundancy).finally(
      () => (this.#inFlight = undefined),
    );
  }

  async #run(
    type: 'start-io' | 'stop-io',
    requestId: number,
    asked: Redundancy | undefined,
  ): Promise<void> {
    const starting = type === 'start-io';
    if (starting) {
      const max = this.#maxRedundancy;
      // The client's own sending is its choice: it is acknowledged, not capped.
      this.#redundancy = {
        serverToClient: Math.min(asked?.serverToClient ?? 0, max),
        clientToServer: asked?.clientToServer ?? 0,
      };
    }
    this.setState(starting ? 'starting-io' : 'stopping-io');
    try {
      await (starting ? this.#handlers.startIo : this.#handlers.stopIo)?.(this);
    } catch (error) {
      this.setState(starting ? 'connected' : 'streaming');
      const refusal = error instanceof ControlError && error.code === 'REFUSAL';
      const reason = error instanceof Error ? error.message : String(error);
      this.#answer(type, requestId, refusal ? 'refusal' : 'failure', reason);
      return;
    }
    this.#ioActive = starting;
    // The last Stats of the run reach the client before the answer that lets it hang up.
    if (!starting) await this.statsSent();
    this.setState(starting ? 'streaming' : 'connected');
    // The grant goes back only to a request that asked (CONTROL.md §3, StartIoResult).
    this.#answer(type, requestId, 'ok', '', asked && this.#redundancy);
  }

  #answer(
    type: 'start-io' | 'stop-io',
    requestId: number,
    outcome: Answer['outcome'],
    reason: string,
    redundancy?: Redundancy,
  ): void {
    if (this.isClosed) return;
    const answer: Answer = {
      type: `${type}-result`,
      requestId,
      outcome,
      reason,
      ...(redundancy && { redundancy }),
    };
    this.#lastAnswer = answer;
    this.channel.send(answer);
  }

  protected async released(end: SessionEnd): Promise<void> {
    try {
      await this.#inFlight;
      if (this.#ioActive) {
        this.#ioActive = false;
        await this.#handlers.stopIo?.(this);
      }
    } finally {
      this.#onEnd(this, end);
    }
  }
}
