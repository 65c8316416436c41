import { interval, map, takeUntil, from, type Observable } from 'rxjs';
import {
  MAX_REDUNDANCY_PERIODS,
  isRedundancyPeriods,
  NO_REDUNDANCY,
  REDUNDANCY_CAPABILITY,
  type AudioRunKeys,
  type DisconnectReason,
  type Redundancy,
  type StreamFormats,
} from '@syfala/proto';
import { MAX_IO_RUNS } from '../control/audio-keys.js';
import type { ControlChannel, ServerOffer, SessionMessage } from '../control/channel.js';
import { ControlError, InvalidStateError, NetworkError, controlErrorFromFrame } from '../errors.js';
import type { HeartbeatOptions } from './liveness.js';
import {
  SessionCore,
  type ControlStats,
  type PeerStatsReport,
  type SessionEnd,
  type SessionStateName,
  type StatsProvider,
} from './session-core.js';

/** How a client waits for and retries its start/stop requests (PROTOCOL.md §6, §10). */
export interface RequestOptions {
  /** Over TCP: how long to wait for a result. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Over UDP: resend an unanswered request this often. Default 200 ms. */
  readonly retransmitMs?: number;
  /** Over UDP: give up after this many sends. Default 5. */
  readonly maxAttempts?: number;
  /** A Failure is retried this many times in all, with doubling delays. Default 5. */
  readonly failureAttempts?: number;
  /** First delay before retrying a Failure; doubles up to maxBackoffMs. Defaults 100 and 1600 ms. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface ClientSessionOptions {
  readonly heartbeat?: HeartbeatOptions;
  readonly requests?: RequestOptions;
  /** Period of `stats$`. Default 1000 ms. */
  readonly statsIntervalMs?: number;
}

export interface ClientStats extends ControlStats {
  requestsSent: number;
  retransmissions: number;
  failuresRetried: number;
}

/** What a client asks for when it starts I/O. */
export interface StartIoOptions {
  /**
   * Redundant periods (PROTOCOL.md §7.3), 0 to MAX_REDUNDANCY_PERIODS each: `serverToClient` to
   * ask of the server, which may grant less, and `clientToServer` that this client sends. Said
   * only to a server that offers REDUNDANCY_CAPABILITY (never over UDP control): see
   * `Streaming.redundancy` for what holds.
   */
  readonly redundancy?: Redundancy;
  /**
   * Called before each StartIoRequest goes out (a Failure retried sends a new one), with the
   * audio keys of the I/O run that request starts, undefined when the audio is clear: set up
   * receiving here (PeerSpec.security; a retry replaces the keys), so that nothing the server
   * sends from the ok on is missed. A rejection fails the start.
   */
  readonly prepare?: (security: AudioRunKeys | undefined) => void | Promise<void>;
}

type Prepare = NonNullable<StartIoOptions['prepare']>;

interface PendingRequest {
  readonly type: 'start-io' | 'stop-io';
  readonly requestId: number;
  readonly settle: (error?: ControlError, redundancy?: Redundancy) => void;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The client's side of one session: sends start/stop requests and waits for their results. */
class ClientSessionCore extends SessionCore {
  readonly offer: ServerOffer;
  readonly #options: Required<RequestOptions>;
  readonly #onEnd: ((end: SessionEnd) => void) | undefined;
  #nextRequestId = 1;
  #pending: PendingRequest | undefined;
  /** Granted by the last ok to start-io. */
  redundancy: Redundancy = NO_REDUNDANCY;
  /** The audio keys of the run the last ok to start-io began; undefined when clear. */
  audioSecurity: AudioRunKeys | undefined;
  /** StartIoRequests sent, whatever their outcome (SECURITY.md §3: both sides count them). */
  #ioRuns = 0;
  readonly #stats = { requestsSent: 0, retransmissions: 0, failuresRetried: 0 };

  constructor(
    channel: ControlChannel,
    offer: ServerOffer,
    options: ClientSessionOptions,
    onEnd?: (end: SessionEnd) => void,
  ) {
    super(channel, options.heartbeat ?? {});
    this.offer = offer;
    this.stats$ = interval(options.statsIntervalMs ?? 1000).pipe(
      map(() => this.stats()),
      takeUntil(from(this.ended)),
    );
    this.#onEnd = onEnd;
    const r = options.requests ?? {};
    this.#options = {
      timeoutMs: r.timeoutMs ?? 2000,
      retransmitMs: r.retransmitMs ?? 200,
      maxAttempts: r.maxAttempts ?? 5,
      failureAttempts: r.failureAttempts ?? 5,
      initialBackoffMs: r.initialBackoffMs ?? 100,
      maxBackoffMs: r.maxBackoffMs ?? 1600,
    };
  }

  stats(): ClientStats {
    return { ...this.counters, ...this.#stats };
  }

  readonly stats$: Observable<ClientStats>;

  /**
   * Moves I/O to `to`: 'streaming' with start-io, 'connected' with stop-io. A Failure is retried
   * with bounded backoff; a Refusal, a timeout or the session ending rejects at once. On any
   * rejection the state goes back to where it was.
   */
  async transition(
    type: 'start-io' | 'stop-io',
    redundancy?: Redundancy,
    prepare?: Prepare,
  ): Promise<void> {
    // Asked only where both sides advertised it (CONTROL.md §3).
    const ask =
      redundancy !== undefined && this.channel.capabilities.includes(REDUNDANCY_CAPABILITY)
        ? redundancy
        : undefined;
    const [during, after, before]: SessionStateName[] =
      type === 'start-io'
        ? ['starting-io', 'streaming', 'connected']
        : ['stopping-io', 'connected', 'streaming'];
    this.setState(during as 'starting-io');
    // The last Stats of the run go out before the request to stop it.
    if (type === 'stop-io') await this.statsSent();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const security = type === 'start-io' ? await this.#prepareRun(prepare) : undefined;
          const granted = await this.#request(type, ask);
          if (type === 'start-io') {
            this.redundancy = capped(granted, ask);
            this.audioSecurity = security;
          }
          this.setState(after as 'streaming');
          return;
        } catch (error) {
          const retry = error instanceof ControlError && error.code === 'FAILURE';
          if (!retry || attempt >= this.#options.failureAttempts) throw error;
          this.#stats.failuresRetried++;
          const backoff = this.#options.initialBackoffMs * 2 ** (attempt - 1);
          await delay(Math.min(backoff, this.#options.maxBackoffMs));
          if (this.isClosed) throw this.#disconnected();
        }
      }
    } catch (error) {
      this.setState(before as 'connected');
      throw error;
    }
  }

  /**
   * The keys of the run the next StartIoRequest starts, handed to `prepare`. Over encrypted
   * audio a session has MAX_IO_RUNS runs: the next request is refused here, unsent (the server
   * would refuse it too).
   */
  async #prepareRun(prepare: Prepare | undefined): Promise<AudioRunKeys | undefined> {
    const keys = this.channel.audioKeys;
    if (keys !== undefined && this.#ioRuns >= MAX_IO_RUNS) {
      throw new ControlError('REFUSAL', 'start-io: key ids exhausted: reconnect', {
        reason: 'key ids exhausted: reconnect',
      });
    }
    const security = keys?.forRun(this.#ioRuns, 'client');
    await prepare?.(security);
    if (this.isClosed) throw this.#disconnected();
    return security;
  }

  /** StartIoRequests sent so far, whatever their outcome: the last one started run `ioRuns - 1`. */
  get ioRuns(): number {
    return this.#ioRuns;
  }

  /**
   * One request, retransmitted over UDP, until its result, a timeout or the session's end.
   * Resolves to the result's redundancy, if it had one.
   */
  #request(
    type: 'start-io' | 'stop-io',
    redundancy: Redundancy | undefined,
  ): Promise<Redundancy | undefined> {
    if (this.isClosed) return Promise.reject(this.#disconnected());
    const requestId = this.#nextRequestId;
    this.#nextRequestId = (this.#nextRequestId % 0xffff_ffff) + 1;
    if (type === 'start-io') this.#ioRuns++;
    const { reliable } = this.channel;
    const { timeoutMs, retransmitMs, maxAttempts } = this.#options;
    return new Promise<Redundancy | undefined>((resolve, reject) => {
      let attempts = 0;
      const send = (): void => {
        if (attempts >= (reliable ? 1 : maxAttempts)) {
          finish(
            new ControlError(
              'TIMEOUT',
              `${type}: no answer from the server after ${reliable ? `${timeoutMs} ms` : `${attempts} attempts`}`,
            ),
          );
          return;
        }
        if (attempts > 0) this.#stats.retransmissions++;
        attempts++;
        this.#stats.requestsSent++;
        this.channel.send({ type, requestId, ...(redundancy && { redundancy }) });
      };
      const timer = setInterval(send, reliable ? timeoutMs : retransmitMs);
      const finish = (error?: ControlError, granted?: Redundancy): void => {
        clearInterval(timer);
        this.#pending = undefined;
        if (error) reject(error);
        else resolve(granted);
      };
      this.#pending = { type, requestId, settle: finish };
      send();
    });
  }

  protected handle(message: SessionMessage): void {
    const pending = this.#pending;
    // Anything else is a late answer to a request already settled, or nothing we asked.
    if (
      pending === undefined ||
      !('requestId' in message) ||
      message.requestId !== pending.requestId
    ) {
      return;
    }
    if (message.type === 'error') {
      pending.settle(controlErrorFromFrame(message, 'the server'));
    } else if (message.type === `${pending.type}-result` && 'outcome' in message) {
      const words = message.reason ? `: ${message.reason}` : '';
      if (message.outcome === 'ok') pending.settle(undefined, message.redundancy);
      else if (message.outcome === 'failure') {
        pending.settle(
          new ControlError('FAILURE', `${pending.type} failed on the server${words}`, {
            reason: message.reason,
          }),
        );
      } else {
        pending.settle(
          new ControlError('REFUSAL', `${pending.type} refused by the server${words}`, {
            reason: message.reason,
          }),
        );
      }
    }
  }

  protected released(end: SessionEnd): void {
    this.#pending?.settle(this.#disconnected(end));
    this.#onEnd?.(end);
  }

  #disconnected(end?: SessionEnd): ControlError {
    const reason = end?.reason;
    return new ControlError('DISCONNECTED', `the session ended${reason ? ` (${reason})` : ''}`, {
      ...(reason !== undefined && reason !== 'connection-lost' && { disconnectReason: reason }),
    });
  }
}

/**
 * What holds after an ok: the server's grant, never above what was asked (a server must not send
 * more), and the client's own figure as announced. None when nothing was asked.
 */
function capped(granted: Redundancy | undefined, asked: Redundancy | undefined): Redundancy {
  if (asked === undefined) return NO_REDUNDANCY;
  return {
    serverToClient: Math.min(granted?.serverToClient ?? 0, asked.serverToClient),
    clientToServer: asked.clientToServer,
  };
}

function checkRedundancy(redundancy: Redundancy): void {
  for (const key of ['serverToClient', 'clientToServer'] as const) {
    const value = redundancy[key];
    if (!isRedundancyPeriods(value)) {
      throw new NetworkError(
        'BAD_OPTION',
        `startIo: redundancy.${key} must be an integer from 0 to ${MAX_REDUNDANCY_PERIODS}, got ${String(value)}`,
      );
    }
  }
}

/**
 * A client session in one state. Each transition resolves to the next state's object and retires
 * this one: any later call on it throws InvalidStateError STATE_CONSUMED. A transition that fails
 * (Failure after its retries, Refusal, timeout) rejects with ControlError and leaves this object
 * usable. `disconnect()` works from any state, even during a transition.
 */
abstract class ClientState {
  #core: ClientSessionCore | undefined;
  #busy = false;
  readonly #session: ClientSessionCore;

  protected constructor(core: ClientSessionCore) {
    this.#core = core;
    this.#session = core;
  }

  /** The server's id, name, formats and audio port, fixed for the session. */
  get offer(): ServerOffer {
    return this.#session.offer;
  }

  get formats(): StreamFormats {
    return this.#session.offer.formats;
  }

  /** 'tcp' or 'udp': which control channel the session runs over. */
  get transport(): 'tcp' | 'udp' {
    return this.#session.channel.transport;
  }

  /**
   * Whether the audio is encrypted (SECURITY.md §2): both sides offered it, over TCP control.
   * With a pre-shared key, the keys are bound to it.
   */
  get encrypted(): boolean {
    return this.#session.channel.audioKeys !== undefined;
  }

  /** StartIoRequests sent so far, whatever their outcome (the key ids' run counter). */
  get ioRuns(): number {
    return this.#session.ioRuns;
  }

  /** The session's state as it changes; completes when the session ends. Shared by every state object. */
  get state$(): Observable<SessionStateName> {
    return this.#session.state$;
  }

  /**
   * Where this side's Stats to the server come from (the engine's view of it); set it before
   * starting I/O. Without one, none are sent.
   */
  setStatsProvider(provider: StatsProvider): void {
    this.#session.setStatsProvider(provider);
  }

  /** The server's latest Stats (what it gets from this client), undefined until one arrives. */
  peerStats(): PeerStatsReport | undefined {
    return this.#session.peerStats();
  }

  /** Each Stats the server sends, as it arrives; completes when the session ends. */
  get peerStats$(): Observable<PeerStatsReport> {
    return this.#session.peerStats$;
  }

  /** Control-path counters every `statsIntervalMs`; completes when the session ends. */
  get stats$(): Observable<ClientStats> {
    return this.#session.stats$;
  }

  stats(): ClientStats {
    return this.#session.stats();
  }

  /** Resolves when the session ends, whoever ends it. */
  get ended(): Promise<SessionEnd> {
    return this.#session.ended;
  }

  /** Ends the session (sends Disconnect) and resolves once everything is released. */
  async disconnect(reason: DisconnectReason = 'normal', text = ''): Promise<SessionEnd> {
    const core = this.#take('disconnect');
    this.#core = undefined;
    return core.end(reason, 'local', text);
  }

  /** Runs a transition; on success retires this object and returns the next state's. */
  protected async transit<T>(
    type: 'start-io' | 'stop-io',
    next: (core: ClientSessionCore) => T,
    redundancy?: Redundancy,
    prepare?: Prepare,
  ): Promise<T> {
    const core = this.#take(type);
    if (this.#busy) {
      throw new InvalidStateError(
        'REQUEST_PENDING',
        `${type}: another request on this state is still pending`,
      );
    }
    this.#busy = true;
    try {
      await core.transition(type, redundancy, prepare);
    } finally {
      this.#busy = false;
    }
    this.#core = undefined;
    return next(core);
  }

  #take(method: string): ClientSessionCore {
    const core = this.#core;
    if (core === undefined) {
      throw new InvalidStateError(
        'STATE_CONSUMED',
        `${method}: this ${this.constructor.name} state was left; use the object the last transition returned`,
      );
    }
    if (core.isClosed) {
      throw new InvalidStateError('CLOSED', `${method}: the session has ended`);
    }
    return core;
  }
}

/** Connected, I/O inactive. */
export class Connected extends ClientState {
  /**
   * Asks the server to start I/O; resolves once audio flows, to the Streaming state. Rejects with
   * NetworkError BAD_OPTION for a redundancy out of range, and ControlError REFUSAL once an
   * encrypted session has used its MAX_IO_RUNS runs (reconnect).
   */
  async startIo(options: StartIoOptions = {}): Promise<Streaming> {
    if (options.redundancy !== undefined) checkRedundancy(options.redundancy);
    return this.transit(
      'start-io',
      (core) => Streaming.create(core),
      options.redundancy,
      options.prepare,
    );
  }

  /** @internal */
  static create(core: ClientSessionCore): Connected {
    return new Connected(core);
  }
}

/** Connected, I/O active: every stream of both directions flows. */
export class Streaming extends ClientState {
  readonly #redundancy: Redundancy;
  readonly #audioSecurity: AudioRunKeys | undefined;

  private constructor(core: ClientSessionCore) {
    super(core);
    this.#redundancy = core.redundancy;
    this.#audioSecurity = core.audioSecurity;
  }

  /**
   * The audio keys of this I/O run (this side sends client → server), the ones `prepare` got
   * last; undefined when the audio is clear.
   */
  get audioSecurity(): AudioRunKeys | undefined {
    return this.#audioSecurity;
  }

  /**
   * Redundancy in force (PROTOCOL.md §7.3): the server sends `serverToClient` periods again with
   * each datagram, as it granted; this client announced `clientToServer` and sends that.
   * NO_REDUNDANCY when none was asked for or the server does not offer it.
   */
  get redundancy(): Redundancy {
    return this.#redundancy;
  }

  /** Asks the server to stop I/O; resolves to the Connected state. */
  stopIo(): Promise<Connected> {
    return this.transit('stop-io', (core) => Connected.create(core));
  }

  /** @internal */
  static create(core: ClientSessionCore): Streaming {
    return new Streaming(core);
  }
}

/** Takes over a channel whose handshake is done and returns the session's first state. */
export function openClientSession(
  channel: ControlChannel,
  offer: ServerOffer,
  options: ClientSessionOptions = {},
  onEnd?: (end: SessionEnd) => void,
): Connected {
  return Connected.create(new ClientSessionCore(channel, offer, options, onEnd));
}
