import { encode, type Message } from '@syfala/proto';
import { ControlError } from '../errors.js';
import { formatAddress } from './address.js';
import type { ChannelHandlers, ControlChannel, PeerError, SessionMessage } from './channel.js';
import { ChannelInbox } from './channel-inbox.js';

/** How a UDP control channel reaches its peer; the client or the server transport provides it. */
export interface UdpChannelLink {
  readonly peer: { readonly address: string; readonly port: number };
  /** Sends one datagram to the peer, best effort. */
  send(datagram: Uint8Array): void;
  /**
   * Called once, by the channel's constructor: from then on, the transport hands the channel
   * every message decoded from the peer (`receive`) and a transport failure (`fail`).
   */
  attach(receive: (message: Message) => void, fail: (error: Error) => void): void;
  /** Called once when the channel ends, whichever side ended it: stop delivering, free the peer. */
  detach(): void;
}

/**
 * A ControlChannel over UDP control datagrams (PROTOCOL.md §5, §6). Unreliable: the session
 * retransmits requests. The wire carries no reason text, so results and disconnects arrive
 * with empty text, and the text given to send() is not sent.
 */
export class UdpControlChannel implements ControlChannel {
  readonly transport = 'udp';
  readonly reliable = false;
  readonly capabilities: readonly string[] = [];
  readonly peer: { readonly address: string; readonly port: number };
  readonly #link: UdpChannelLink;
  readonly #inbox = new ChannelInbox();

  constructor(link: UdpChannelLink) {
    this.#link = link;
    this.peer = link.peer;
    link.attach(
      (message) => this.#receive(message),
      (error) => this.#end(error),
    );
  }

  listen(handlers: ChannelHandlers): void {
    this.#inbox.listen(handlers);
  }

  send(message: Exclude<SessionMessage, PeerError>): void {
    // UDP control has no Stats (no capabilities, CONTROL.md §3): a session never sends them here.
    if (message.type === 'stats') return;
    if (!this.#inbox.ended) this.#link.send(encode(toWireMessage(message)));
  }

  close(): void {
    if (this.#inbox.close()) this.#link.detach();
  }

  #receive(message: Message): void {
    switch (message.type) {
      case 'start-io':
      case 'stop-io':
        this.#inbox.message({ type: message.type, requestId: message.requestId });
        return;
      case 'start-io-result':
      case 'stop-io-result':
        this.#inbox.message({
          type: message.type,
          requestId: message.requestId,
          outcome: message.outcome,
          reason: '',
        });
        return;
      case 'heartbeat':
        this.#inbox.message({
          type: 'heartbeat',
          sequence: message.sequence,
          senderTimeUs: message.senderTimeUs,
        });
        return;
      case 'disconnect': {
        // The peer has freed everything and will not answer (§5.11): the channel ends here.
        this.#inbox.message({ type: 'disconnect', reason: message.reason, text: '' });
        const where = formatAddress(this.peer.address, this.peer.port);
        this.#end(
          new ControlError(
            'DISCONNECTED',
            `UDP control peer ${where} disconnected: ${message.reason}`,
            {
              disconnectReason: message.reason,
            },
          ),
        );
        return;
      }
      default:
        // Discovery, offers, connection results, VERS and audio belong to the transport and
        // the audio plane, not to the session.
        return;
    }
  }

  #end(error: Error): void {
    if (this.#inbox.end(error)) this.#link.detach();
  }
}

function toWireMessage(message: Exclude<SessionMessage, PeerError | { type: 'stats' }>): Message {
  switch (message.type) {
    case 'start-io':
    case 'stop-io':
      return { type: message.type, requestId: message.requestId };
    case 'start-io-result':
    case 'stop-io-result':
      return { type: message.type, requestId: message.requestId, outcome: message.outcome };
    case 'heartbeat':
      return {
        type: 'heartbeat',
        sequence: message.sequence,
        senderTimeUs: message.senderTimeUs,
      };
    case 'disconnect':
      return { type: 'disconnect', reason: message.reason };
  }
}
