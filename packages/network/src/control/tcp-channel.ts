import {
  REDUNDANCY_CAPABILITY,
  STATS_CAPABILITY,
  type ControlMessage,
  type Role,
} from '@syfala/proto';
import { ControlError } from '../errors.js';
import { formatAddress } from './address.js';
import type { AudioKeys } from './audio-keys.js';
import type { ChannelHandlers, ControlChannel, PeerError, SessionMessage } from './channel.js';
import { ChannelInbox } from './channel-inbox.js';
import type { FrameSocket } from './frame-socket.js';

/** The capabilities both Hello and Welcome advertised: the features a connection may use. */
export function sharedCapabilities(
  ours: readonly string[],
  theirs: readonly string[],
): readonly string[] {
  return ours.filter((name) => theirs.includes(name));
}

/**
 * A ControlChannel over a TCP connection after its handshake (CONTROL.md): maps control frames
 * to session messages and back. Frames that are not session messages are handled here: a
 * request this side never takes is answered with Error UNEXPECTED_MESSAGE (§7), a request using a
 * feature both sides did not advertise with Error UNSUPPORTED, Stats from a peer that did not
 * advertise them with Error UNEXPECTED_MESSAGE, a stray response is ignored, an Error frame is
 * passed on, and a Disconnect from the peer ends the channel.
 */
export class TcpControlChannel implements ControlChannel {
  readonly transport = 'tcp';
  readonly reliable = true;
  readonly peer: { readonly address: string; readonly port: number };
  readonly #frames: FrameSocket;
  /** Our side: a client takes results, a server takes requests. */
  readonly #role: Role;
  readonly #inbox = new ChannelInbox();

  /**
   * Takes over `frames` from the handshake; frames decoded from now on are this channel's.
   * `capabilities`: what both sides advertised (sharedCapabilities); `audioKeys`: what the
   * handshake agreed for encrypted audio, absent when audio is clear.
   */
  constructor(
    frames: FrameSocket,
    role: Role,
    readonly capabilities: readonly string[] = [],
    readonly audioKeys?: AudioKeys,
  ) {
    this.#frames = frames;
    this.#role = role;
    this.peer = frames.peer;
    frames.setHandlers({
      message: (message) => this.#onFrame(message),
      lost: (error) => this.#inbox.end(error),
    });
  }

  listen(handlers: ChannelHandlers): void {
    this.#inbox.listen(handlers);
  }

  send(message: Exclude<SessionMessage, PeerError>): void {
    if (!this.#inbox.ended) this.#frames.send(toControlMessage(message));
  }

  close(): void {
    if (this.#inbox.close()) this.#frames.close();
  }

  /** Whether redundancy was negotiated: both sides advertised it. */
  get #redundancy(): boolean {
    return this.capabilities.includes(REDUNDANCY_CAPABILITY);
  }

  #onFrame(message: ControlMessage): void {
    switch (message.type) {
      case 'start-io':
        if (this.#role !== 'server') {
          this.#unexpected(message);
        } else if (message.redundancy !== undefined && !this.#redundancy) {
          this.#unsupported(
            message,
            `redundancy needs the "${REDUNDANCY_CAPABILITY}" capability on both sides`,
          );
        } else {
          this.#inbox.message(message);
        }
        return;
      case 'stop-io':
        if (this.#role === 'server') {
          this.#inbox.message({ type: message.type, requestId: message.requestId });
        } else {
          this.#unexpected(message);
        }
        return;
      case 'start-io-result':
      case 'stop-io-result':
        // A result can only answer a client's request; at a server it answers nothing pending.
        // Redundancy nobody negotiated is not acted on.
        if (this.#role === 'client') {
          const { type, requestId, outcome, reason } = message;
          const redundancy =
            this.#redundancy && message.type === 'start-io-result' ? message.redundancy : undefined;
          this.#inbox.message({
            type,
            requestId,
            outcome,
            reason,
            ...(redundancy && { redundancy }),
          });
        }
        return;
      case 'heartbeat':
        this.#inbox.message({
          type: 'heartbeat',
          sequence: message.sequence,
          senderTimeUs: message.senderTimeUs,
        });
        return;
      case 'disconnect': {
        // The peer's last frame: pass it on, then close our side as the peer expects (§3).
        const { reason, text } = message;
        this.#inbox.message({ type: 'disconnect', reason, text });
        this.#frames.close();
        this.#inbox.end(
          new ControlError(
            'DISCONNECTED',
            `control peer ${this.#where()} disconnected: ${reason}${text === '' ? '' : ` (${text})`}`,
            { reason: text, disconnectReason: reason },
          ),
        );
        return;
      }
      case 'error':
        // It fails the request it names, if any; the session goes on (CONTROL.md §7).
        this.#inbox.message(message);
        return;
      case 'hello':
        this.#unexpected(message);
        return;
      case 'stats': {
        if (!this.capabilities.includes(STATS_CAPABILITY)) {
          this.#unexpected(message);
          return;
        }
        const { senderTimeUs, session, streams } = message;
        this.#inbox.message({ type: 'stats', senderTimeUs, session, streams });
        return;
      }
      case 'auth-challenge':
      case 'welcome':
        // Responses to a handshake that is over: ignored (CONTROL.md §7).
        return;
    }
  }

  /** A request this side never takes, after the handshake (CONTROL.md §7). */
  #unexpected(message: ControlMessage): void {
    this.#frames.send({
      type: 'error',
      requestId: message.requestId,
      code: 'unexpected-message',
      message: `a ${this.#role} does not take ${message.type}`,
    });
  }

  /** A request for a feature not offered (CONTROL.md §7). */
  #unsupported(message: ControlMessage, why: string): void {
    this.#frames.send({
      type: 'error',
      requestId: message.requestId,
      code: 'unsupported',
      message: why,
    });
  }

  #where(): string {
    return formatAddress(this.peer.address, this.peer.port);
  }
}

function toControlMessage(message: Exclude<SessionMessage, PeerError>): ControlMessage {
  switch (message.type) {
    case 'start-io': {
      const { requestId, redundancy } = message;
      return { type: 'start-io', requestId, ...(redundancy && { redundancy }) };
    }
    case 'stop-io':
      return { type: 'stop-io', requestId: message.requestId };
    case 'start-io-result': {
      const { requestId, outcome, reason, redundancy } = message;
      return {
        type: 'start-io-result',
        requestId,
        outcome,
        reason,
        ...(redundancy && { redundancy }),
      };
    }
    case 'stop-io-result':
      return {
        type: 'stop-io-result',
        requestId: message.requestId,
        outcome: message.outcome,
        reason: message.reason,
      };
    case 'heartbeat':
      return {
        type: 'heartbeat',
        requestId: 0,
        sequence: message.sequence,
        senderTimeUs: message.senderTimeUs,
      };
    case 'disconnect':
      return { type: 'disconnect', requestId: 0, reason: message.reason, text: message.text };
    case 'stats':
      return { ...message, requestId: 0 };
  }
}
