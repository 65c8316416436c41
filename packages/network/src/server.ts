import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Subject, type Observable } from 'rxjs';
import {
  MAX_REDUNDANCY_PERIODS,
  isRedundancyPeriods,
  REDUNDANCY_CAPABILITY,
  STATS_CAPABILITY,
  type DisconnectReason,
  type StreamFormats,
} from '@syfala/proto';
import type { Admission, ClientHello, ControlChannel } from './control/channel.js';
import { canonicalAddress, formatAddress } from './control/address.js';
import type { PskInput } from './control/auth.js';
import { TcpControlServer, type TcpControlServerStats } from './control/tcp-server.js';
import { UdpControlServer, type UdpControlServerStats } from './control/udp-server.js';
import { joinDiscoveryGroup } from './discovery/discovery-group.js';
import {
  publishEndpoint,
  type MdnsPublication,
  type PublishOptions,
} from './discovery/mdns-publish.js';
import { DEFAULT_CONTROL_PORT, DEFAULT_UDP_PORT } from './endpoint.js';
import { NetworkError } from './errors.js';
import type { PeerInputError } from './guard.js';
import { RefusalReporter, type Refusal, type RefusalReport } from './refusals.js';
import { checkServerOptions } from './server-options.js';
import { TokenBucket } from './control/rate-limit.js';
import type { HeartbeatOptions } from './session/liveness.js';
import { ServerSession, type IoHandlers } from './session/server-session.js';
import type { SessionEnd } from './session/session-core.js';

export const DEFAULT_MAX_SESSIONS = 32;
export const DEFAULT_MAX_SESSIONS_PER_ADDRESS = 8;
/** inputErrors$ reports this many errors a second, after a burst; stats() counts every one. */
export const INPUT_ERROR_REPORTS_PER_S = 1;
export const INPUT_ERROR_REPORT_BURST = 10;

export interface ServerDiscoveryOptions {
  /** Multicast group to receive beacons on (joined on `interfaces`), or false. Default DEFAULT_DISCOVERY_GROUP. */
  readonly group?: string | false;
  /** IPv4 addresses of the interfaces to join the group on. Default: every interface. */
  readonly interfaces?: readonly string[];
  /** DNS-SD publication of `_syfala._udp`, or false. Default: published on every interface. */
  readonly mdns?: PublishOptions | false;
}

export interface ServerOptions {
  readonly name: string;
  /** 128-bit endpoint id, lowercase 8-4-4-4-12 hex; stable across restarts is best. Default: random. */
  readonly id?: string;
  /** The streams offered to every client, fixed for each session. */
  readonly formats: StreamFormats;
  /** Address to bind both sockets to. Default '0.0.0.0'. */
  readonly host?: string;
  /** UDP port for discovery, UDP control and audio; 0 picks a free one. Default DEFAULT_UDP_PORT. */
  readonly udpPort?: number;
  /**
   * UDP port that TCP-control clients send audio to, announced in the Welcome: the port of the
   * audio engine's own socket, so audio never passes through this event loop. Default: udpPort.
   */
  readonly audioPort?: number;
  /** TCP control port; 0 picks a free one; false serves UDP control only. Default DEFAULT_CONTROL_PORT. */
  readonly controlPort?: number | false;
  /** Pre-shared key clients must prove they hold (TCP control; UDP control is then refused). */
  readonly psk?: PskInput;
  /**
   * Encrypt the audio of every TCP-control client that offers it (SECURITY.md): the session's
   * `encrypted` and `audioSecurity` say so, and `io.startIo` must pass `audioSecurity` to the
   * engine. Default true. UDP control stays clear.
   */
  readonly encryption?: boolean;
  /** Sessions at once; beyond it clients are refused with reason `busy`. Default 32. */
  readonly maxSessions?: number;
  /** Sessions at once from one IP address. Default 8. */
  readonly maxSessionsPerAddress?: number;
  readonly heartbeat?: HeartbeatOptions;
  /** Handshake time limit for TCP control, in ms. Default 2000. */
  readonly handshakeTimeoutMs?: number;
  /** TCP control handshakes in progress at once; beyond it connections are closed. Default 64. */
  readonly maxPendingHandshakes?: number;
  /**
   * Of those, from one source (an IPv4 address, an IPv6 /64), so that one source can't starve
   * the others (CONTROL.md §6). Default 8.
   */
  readonly maxPendingHandshakesPerSource?: number;
  /** Policy after the limits: true or an Admission to admit, false or a refusal to refuse. */
  readonly admit?: (client: ClientHello) => Admission | boolean;
  /** What starting and stopping I/O does on this server. */
  readonly io?: IoHandlers;
  /**
   * Most redundant periods this server sends to a client that asks (PROTOCOL.md §7.3), 0 to
   * MAX_REDUNDANCY_PERIODS. Above 0, TCP control offers REDUNDANCY_CAPABILITY, and `io.startIo`
   * must send what `session.redundancy.serverToClient` says. Default 0: not offered.
   */
  readonly maxRedundancy?: number;
  readonly discovery?: ServerDiscoveryOptions;
}

export type ServerEvent =
  | { readonly type: 'opened'; readonly session: ServerSession }
  | { readonly type: 'closed'; readonly session: ServerSession; readonly end: SessionEnd };

export interface ServerStats {
  /** Sessions open now. */
  sessions: number;
  sessionsOpened: number;
  /**
   * Connections and clients turned away, over either transport, by reason (see refusals$): by
   * the session limits or the admit policy, a failed key proof, a handshake timeout or protocol
   * error, and (`busy`) TCP connections closed unanswered at the handshake limits.
   */
  refused: Partial<Record<DisconnectReason, number>>;
  tcp: TcpControlServerStats | undefined;
  udp: UdpControlServerStats;
  /** Errors met while handling a peer's input, on every plane (see inputErrors$). */
  inputErrors: number;
}

/**
 * A Syfala server: answers discovery, admits clients over TCP and UDP control, and runs one
 * ServerSession per client with the `io` handlers. `close()` sends Disconnect `shutdown` to every
 * client, sends the mDNS goodbye and closes the sockets.
 */
export class SyfalaServer {
  readonly id: string;
  readonly name: string;
  readonly formats: StreamFormats;
  readonly #options: ServerOptions;
  readonly #maxRedundancy: number;
  readonly #sessions = new Set<ServerSession>();
  readonly #events = new Subject<ServerEvent>();
  readonly #refusals = new RefusalReporter();
  readonly #inputErrors = new Subject<PeerInputError>();
  readonly #inputErrorReports = new TokenBucket(
    INPUT_ERROR_REPORTS_PER_S,
    INPUT_ERROR_REPORT_BURST,
    performance.now(),
  );
  #inputErrorCount = 0;
  #sessionsOpened = 0;
  #udp!: UdpControlServer;
  #tcp: TcpControlServer | undefined;
  #mdns: MdnsPublication | undefined;
  #closing: Promise<void> | undefined;

  /** Sessions opening and closing. Completes when the server has closed. */
  readonly events$: Observable<ServerEvent> = this.#events.asObservable();

  /**
   * Errors met while handling a peer's input (a bug the input tripped, such as an answer that
   * could not be encoded): the input is dropped (a TCP connection is closed) and the server goes
   * on. Rate-limited (INPUT_ERROR_REPORTS_PER_S); stats().inputErrors counts every one.
   * Completes when the server has closed.
   */
  readonly inputErrors$: Observable<PeerInputError> = this.#inputErrors.asObservable();

  /**
   * Every connection or client turned away, with its source, until a source's (or the global)
   * rate is spent; the rest are folded into one report per source every
   * REFUSAL_FOLD_INTERVAL_MS. stats().refused counts every one. Completes when the server has
   * closed, after the last fold.
   */
  readonly refusals$: Observable<RefusalReport> = this.#refusals.reports$;

  /** Throws NetworkError BAD_OPTION naming a bad option. */
  private constructor(options: ServerOptions) {
    const formats = checkServerOptions(options);
    const max = options.maxRedundancy ?? 0;
    if (!isRedundancyPeriods(max)) {
      throw new NetworkError(
        'BAD_OPTION',
        `maxRedundancy: expected an integer from 0 to ${MAX_REDUNDANCY_PERIODS}, got ${String(max)}`,
      );
    }
    this.#options = options;
    this.#maxRedundancy = max;
    this.id = options.id ?? randomUUID();
    this.name = options.name;
    this.formats = formats;
  }

  /** Binds the UDP socket, listens for TCP control, joins the discovery group and publishes over mDNS. */
  static async listen(options: ServerOptions): Promise<SyfalaServer> {
    const server = new SyfalaServer(options);
    try {
      await server.#start();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    const host = options.host ?? '0.0.0.0';
    const controlPort = options.controlPort ?? DEFAULT_CONTROL_PORT;
    const onChannel = (channel: ControlChannel, client: ClientHello): void =>
      this.#open(channel, client);
    const admit = (client: ClientHello): Admission => this.#admit(client);
    const onInputError = (report: PeerInputError): void => this.#inputError(report);
    const onRefused = (refusal: Refusal): void => this.#refusals.report(refusal);
    this.#udp = await UdpControlServer.bind({
      host,
      port: options.udpPort ?? DEFAULT_UDP_PORT,
      ...(options.psk !== undefined && { psk: options.psk }),
      offer: () => ({
        endpointId: this.id,
        name: this.name,
        controlPort: this.#tcp?.port ?? 0,
        formats: this.formats,
      }),
      admit,
      onChannel,
      onInputError,
      onRefused,
    });
    if (controlPort !== false) {
      this.#tcp = await TcpControlServer.listen({
        host,
        port: controlPort,
        ...(options.psk !== undefined && { psk: options.psk }),
        ...(options.encryption !== undefined && { encryption: options.encryption }),
        ...(options.handshakeTimeoutMs !== undefined && {
          handshakeTimeoutMs: options.handshakeTimeoutMs,
        }),
        ...(options.maxPendingHandshakes !== undefined && {
          maxPendingHandshakes: options.maxPendingHandshakes,
        }),
        ...(options.maxPendingHandshakesPerSource !== undefined && {
          maxPendingHandshakesPerSource: options.maxPendingHandshakesPerSource,
        }),
        admit,
        offer: () => ({
          endpointId: this.id,
          endpointName: this.name,
          formats: this.formats,
          udpAudioPort: options.audioPort ?? this.#udp.port,
          capabilities: [
            STATS_CAPABILITY,
            ...(this.#maxRedundancy > 0 ? [REDUNDANCY_CAPABILITY] : []),
          ],
        }),
        onChannel,
        onInputError,
        onRefused,
      });
    }
    const discovery = options.discovery ?? {};
    if (discovery.group !== false) {
      joinDiscoveryGroup(this.#udp.socket, {
        ...(discovery.group !== undefined && { group: discovery.group }),
        ...(discovery.interfaces !== undefined && { interfaces: discovery.interfaces }),
      });
    }
    if (discovery.mdns !== false) {
      this.#mdns = await publishEndpoint(
        {
          id: this.id,
          name: this.name,
          udpPort: this.udpPort,
          controlPort: this.controlPort,
          formats: this.formats,
        },
        { ...discovery.mdns, onInputError },
      );
    }
  }

  get udpPort(): number {
    return this.#udp.port;
  }

  /** The TCP control port, or 0 when the server speaks UDP control only. */
  get controlPort(): number {
    return this.#tcp?.port ?? 0;
  }

  get sessions(): readonly ServerSession[] {
    return [...this.#sessions];
  }

  stats(): ServerStats {
    return {
      sessions: this.#sessions.size,
      sessionsOpened: this.#sessionsOpened,
      refused: this.#refusals.counts,
      tcp: this.#tcp?.stats(),
      udp: this.#udp.stats(),
      inputErrors: this.#inputErrorCount,
    };
  }

  /**
   * Disconnects every client with `reason` and `text` ('device-lost' when the sound card went
   * away), then closes every socket. Idempotent: the first call's reason is the one sent.
   * Resolves when every session has ended and every socket is closed.
   */
  close(reason: DisconnectReason = 'shutdown', text = 'server closing'): Promise<void> {
    this.#closing ??= this.#close(reason, text);
    return this.#closing;
  }

  async #close(reason: DisconnectReason, text: string): Promise<void> {
    await Promise.all([...this.#sessions].map((session) => session.disconnect(reason, text)));
    await Promise.all([this.#mdns?.close(), this.#tcp?.close(), this.#udp?.close()]);
    this.#events.complete();
    this.#inputErrors.complete();
    this.#refusals.close();
  }

  #inputError(report: PeerInputError): void {
    this.#inputErrorCount++;
    if (this.#inputErrorReports.take(performance.now())) this.#inputErrors.next(report);
  }

  /** Session limits first, then the caller's policy. */
  #admit(client: ClientHello): Admission {
    const maxSessions = this.#options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    const maxPerAddress = this.#options.maxSessionsPerAddress ?? DEFAULT_MAX_SESSIONS_PER_ADDRESS;
    const address = canonicalAddress(client.address);
    const fromAddress = [...this.#sessions].filter(
      (s) => canonicalAddress(s.client.address) === address,
    ).length;
    let admission: Admission;
    if (this.#closing !== undefined) {
      admission = { admit: false, reason: 'shutdown', text: 'the server is closing' };
    } else if (this.#sessions.size >= maxSessions) {
      admission = {
        admit: false,
        reason: 'busy',
        text: `the server is full (${maxSessions} sessions)`,
      };
    } else if (fromAddress >= maxPerAddress) {
      admission = {
        admit: false,
        reason: 'busy',
        text: `too many sessions from ${client.address} (at most ${maxPerAddress})`,
      };
    } else if (this.#audioAddressHeld(client)) {
      // Audio is sent to, and accepted from, this address: two sessions can't share it
      // (CONTROL.md §3, Hello), or one client could take over the other's audio.
      admission = {
        admit: false,
        reason: 'address-in-use',
        text: `another session receives audio at ${formatAddress(client.address, client.udpAudioPort)}`,
      };
    } else {
      const policy = this.#options.admit?.(client) ?? true;
      admission =
        policy === true
          ? { admit: true }
          : policy === false
            ? { admit: false, reason: 'normal', text: 'refused by the server policy' }
            : policy;
    }
    return admission;
  }

  /** Whether a live session (over either transport) receives audio where `client` would. */
  #audioAddressHeld(client: ClientHello): boolean {
    const address = canonicalAddress(client.address);
    return [...this.#sessions].some(
      (session) =>
        session.client.udpAudioPort === client.udpAudioPort &&
        canonicalAddress(session.client.address) === address,
    );
  }

  #open(channel: ControlChannel, client: ClientHello): void {
    const session = new ServerSession(
      channel,
      client,
      this.formats,
      {
        ...(this.#options.heartbeat !== undefined && { heartbeat: this.#options.heartbeat }),
        handlers: this.#options.io ?? {},
        maxRedundancy: this.#maxRedundancy,
      },
      (ended, end) => {
        this.#sessions.delete(ended);
        this.#events.next({ type: 'closed', session: ended, end });
      },
    );
    this.#sessions.add(session);
    this.#sessionsOpened++;
    this.#events.next({ type: 'opened', session });
  }
}
