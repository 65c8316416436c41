import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { DecodeError, type DisconnectReason } from '@syfala/proto';
import type { ControlChannel, SessionMessage } from '../control/channel.js';
import { Liveness, type HeartbeatOptions } from './liveness.js';

/** Where a session is; the same names on both sides. */
export type SessionStateName = 'connected' | 'starting-io' | 'streaming' | 'stopping-io' | 'closed';

/** Why a session ended: a disconnect reason, or the transport breaking without one. */
export type SessionEndReason = DisconnectReason | 'connection-lost';

export interface SessionEnd {
  readonly reason: SessionEndReason;
  /** Who ended it: this side (its own disconnect, or its heartbeat timeout), the peer, or the transport. */
  readonly by: 'local' | 'peer' | 'transport';
  /** The peer's or the transport's words, when there are any. */
  readonly text: string;
}

/** Counters every session keeps about its control path. */
export interface ControlStats {
  heartbeatsSent: number;
  heartbeatsReceived: number;
  messagesReceived: number;
  /** Error frames from the peer (TCP control). */
  errorsReceived: number;
}

/** A Disconnect is sent this many times, this far apart, where the channel is unreliable (PROTOCOL.md §5.11). */
const UNRELIABLE_DISCONNECT_COPIES = 3;
const UNRELIABLE_DISCONNECT_SPACING_MS = 10;

/**
 * What the client and server sessions share: the channel, heartbeats and the timeout, the
 * state stream, and ending exactly once whoever ends it. Subclasses handle requests.
 */
export abstract class SessionCore {
  readonly channel: ControlChannel;
  readonly #state = new BehaviorSubject<SessionStateName>('connected');
  readonly #liveness: Liveness;
  readonly #ended: Promise<SessionEnd>;
  #resolveEnded!: (end: SessionEnd) => void;
  #end: SessionEnd | undefined;
  protected readonly counters: ControlStats = {
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    messagesReceived: 0,
    errorsReceived: 0,
  };

  constructor(channel: ControlChannel, heartbeat: HeartbeatOptions) {
    this.channel = channel;
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.#liveness = new Liveness(
      heartbeat,
      (sequence, senderTimeUs) => {
        this.counters.heartbeatsSent++;
        channel.send({ type: 'heartbeat', sequence, senderTimeUs });
      },
      () =>
        void this.end('timeout', 'local', 'no message from the peer within the heartbeat timeout'),
    );
    channel.listen({
      message: (message) => this.#receive(message),
      closed: (error) =>
        this.#finish({
          reason: error instanceof DecodeError ? 'protocol-error' : 'connection-lost',
          by: 'transport',
          text: error?.message ?? 'the control channel closed',
        }),
    });
  }

  get state(): SessionStateName {
    return this.#state.value;
  }

  readonly state$: Observable<SessionStateName> = this.#state.pipe(distinctUntilChanged());

  /** Resolves once, when the session has ended and released everything. */
  get ended(): Promise<SessionEnd> {
    return this.#ended;
  }

  get isClosed(): boolean {
    return this.#end !== undefined;
  }

  protected setState(state: Exclude<SessionStateName, 'closed'>): void {
    if (this.#end === undefined) this.#state.next(state);
  }

  /** Ends the session from this side: tells the peer (unless the transport is gone), then closes. */
  async end(reason: DisconnectReason, by: 'local', text = ''): Promise<SessionEnd> {
    if (this.#end !== undefined) return this.#ended;
    const copies = this.channel.reliable ? 1 : UNRELIABLE_DISCONNECT_COPIES;
    this.#beginEnd({ reason, by, text });
    for (let i = 0; i < copies; i++) {
      if (i > 0)
        await new Promise((resolve) => setTimeout(resolve, UNRELIABLE_DISCONNECT_SPACING_MS));
      this.channel.send({ type: 'disconnect', reason, text });
    }
    this.channel.close();
    return this.#ended;
  }

  /** Called for each request, result or peer Error; heartbeats and disconnects are handled here. */
  protected abstract handle(message: SessionMessage): void;

  /** Called once when the session ends, before `ended` resolves: release what the session held. */
  protected abstract released(end: SessionEnd): void | Promise<void>;

  #receive(message: SessionMessage): void {
    if (this.#end !== undefined) return;
    this.counters.messagesReceived++;
    this.#liveness.heard();
    if (message.type === 'heartbeat') {
      this.counters.heartbeatsReceived++;
    } else if (message.type === 'disconnect') {
      this.#finish({ reason: message.reason, by: 'peer', text: message.text });
      this.channel.close();
    } else {
      if (message.type === 'error') this.counters.errorsReceived++;
      this.handle(message);
    }
  }

  /** Marks the session ended (no more messages handled); releasing runs once the channel is closed. */
  #beginEnd(end: SessionEnd): void {
    this.#end = end;
    this.#liveness.stop();
  }

  #finish(end: SessionEnd): void {
    if (this.#end === undefined) this.#beginEnd(end);
    const final = this.#end!;
    if (this.#state.value === 'closed') return;
    this.#state.next('closed');
    void Promise.resolve()
      .then(() => this.released(final))
      .catch(() => undefined) // releasing is best effort; the session is over either way
      .then(() => {
        this.#state.complete();
        this.#resolveEnded(final);
      });
  }
}
