import { BehaviorSubject, Subject, distinctUntilChanged, type Observable } from 'rxjs';
import {
  DecodeError,
  STATS_CAPABILITY,
  type ControlStats as StatsMessage,
  type DisconnectReason,
} from '@syfala/proto';
import type { ControlChannel, SessionMessage } from '../control/channel.js';
import { Liveness, monotonicMicros, type HeartbeatOptions } from './liveness.js';

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

/** What a side reports of its peer in a Stats frame: its own view (CONTROL.md §Stats). */
export type StatsReport = Pick<StatsMessage, 'session' | 'streams'>;

/** A peer's latest Stats, as received: its view of this side, when it read its counters. */
export type PeerStatsReport = Omit<StatsMessage, 'type' | 'requestId'>;

/**
 * Reads this side's counters for the peer (the engine's view of it, statsReport in
 * @syfala/audio); undefined when it has none to report. Called once a second while I/O runs.
 */
export type StatsProvider = () => StatsReport | undefined | Promise<StatsReport | undefined>;

/** Stats go to a peer that advertised them this often while I/O runs (OBSERVABILITY.md §1). */
export const STATS_INTERVAL_MS = 1000;

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
  #statsProvider: StatsProvider | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  /** Stats go out in the order their counters were read: each send waits for the one before. */
  #statsSent: Promise<void> = Promise.resolve();
  #peerStats: PeerStatsReport | undefined;
  readonly #peerStats$ = new Subject<PeerStatsReport>();
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
    if (this.#end !== undefined) return;
    const was = this.#state.value;
    this.#state.next(state);
    if (state === 'streaming' && was !== 'streaming') {
      this.#statsTimer = setInterval(() => this.#sendStats(), STATS_INTERVAL_MS);
    } else if (was === 'streaming' && state !== 'streaming') {
      this.#stopStats();
    }
  }

  /**
   * Where this side's Stats come from (the engine's view of the peer). Without one, none are
   * sent; set it before I/O starts.
   */
  setStatsProvider(provider: StatsProvider): void {
    this.#statsProvider = provider;
  }

  /** The peer's latest Stats (its view of this side), undefined until one arrives. */
  peerStats(): PeerStatsReport | undefined {
    return this.#peerStats;
  }

  /** Each Stats the peer sends, as it arrives; completes when the session ends. */
  readonly peerStats$: Observable<PeerStatsReport> = this.#peerStats$.asObservable();

  /**
   * Settles once the Stats already asked for are sent (or found to have nothing to say): the
   * last ones when I/O stops go out before the stop's request or answer, and before Disconnect.
   */
  protected statsSent(): Promise<void> {
    return this.#statsSent;
  }

  /** Reads the counters now and sends them, after any send still waiting. */
  #sendStats(): void {
    const provider = this.#statsProvider;
    if (provider === undefined || !this.channel.capabilities.includes(STATS_CAPABILITY)) return;
    // Read now, not on a later tick: a stopping side removes the peer from its engine next.
    let report: Promise<StatsReport | undefined>;
    try {
      report = Promise.resolve(provider());
    } catch {
      return;
    }
    this.#statsSent = this.#statsSent
      .then(() => report)
      .then(
        (counters) => {
          if (counters === undefined) return;
          this.channel.send({ type: 'stats', senderTimeUs: monotonicMicros(), ...counters });
        },
        () => undefined, // an engine already closed has nothing more to say
      );
  }

  /** I/O stopped: one last Stats, so the peer has the final totals. */
  #stopStats(): void {
    if (this.#statsTimer === undefined) return;
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    this.#sendStats();
  }

  /** Ends the session from this side: tells the peer (unless the transport is gone), then closes. */
  async end(reason: DisconnectReason, by: 'local', text = ''): Promise<SessionEnd> {
    if (this.#end !== undefined) return this.#ended;
    const copies = this.channel.reliable ? 1 : UNRELIABLE_DISCONNECT_COPIES;
    this.#stopStats();
    this.#beginEnd({ reason, by, text });
    await this.#statsSent;
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
    } else if (message.type === 'stats') {
      const { senderTimeUs, session, streams } = message;
      this.#peerStats = { senderTimeUs, session, streams };
      this.#peerStats$.next(this.#peerStats);
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
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
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
        this.#peerStats$.complete();
        this.#state.complete();
        this.#resolveEnded(final);
      });
  }
}
