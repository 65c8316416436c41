import { InvalidStateError } from '../errors.js';
import type { ChannelHandlers, SessionMessage } from './channel.js';

type Delivery =
  | { readonly kind: 'message'; readonly message: SessionMessage }
  | { readonly kind: 'closed'; readonly error: Error | undefined };

/**
 * The receiving half every ControlChannel shares: holds what arrives before listen() is called,
 * then delivers in order, and makes sure `closed` is called exactly once and nothing follows it.
 */
export class ChannelInbox {
  #handlers: ChannelHandlers | undefined;
  readonly #backlog: Delivery[] = [];
  #ended = false;
  #closedDelivered = false;

  /** True once the channel ended, by either side: nothing more is received or sent. */
  get ended(): boolean {
    return this.#ended;
  }

  listen(handlers: ChannelHandlers): void {
    if (this.#handlers !== undefined) {
      throw new InvalidStateError(
        'STATE_CONSUMED',
        'control channel: listen() was already called; a channel has a single listener',
      );
    }
    this.#handlers = handlers;
    // One at a time: a handler that calls close() empties the backlog.
    for (let next = this.#backlog.shift(); next !== undefined; next = this.#backlog.shift()) {
      this.#dispatch(next);
    }
  }

  message(message: SessionMessage): void {
    if (!this.#ended) this.#deliver({ kind: 'message', message });
  }

  /** The peer or the transport ended the channel; false if it had ended already. */
  end(error: Error): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#deliver({ kind: 'closed', error });
    return true;
  }

  /** Our own close(); false if the channel had ended already. */
  close(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#backlog.length = 0;
    // After close() returns, never inside it: the caller may still be mid-teardown.
    queueMicrotask(() => this.#deliver({ kind: 'closed', error: undefined }));
    return true;
  }

  #deliver(delivery: Delivery): void {
    if (this.#handlers === undefined) this.#backlog.push(delivery);
    else this.#dispatch(delivery);
  }

  #dispatch(delivery: Delivery): void {
    if (this.#closedDelivered) return;
    if (delivery.kind === 'closed') {
      this.#closedDelivered = true;
      this.#handlers!.closed(delivery.error);
    } else {
      this.#handlers!.message(delivery.message);
    }
  }
}
