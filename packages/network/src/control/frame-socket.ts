import type { Socket } from 'node:net';
import {
  ControlFrameDecoder,
  DecodeError,
  MAX_CONTROL_FRAME_BYTES,
  encodeControlFrame,
  encodeVersion1ControlFrame,
  type ControlMessage,
  type DisconnectReason,
} from '@syfala/proto';
import { NetworkError } from '../errors.js';
import { guarded } from '../guard.js';
import { formatAddress } from './address.js';

/**
 * How long a connection we closed waits for the peer to close its side before it is destroyed,
 * in milliseconds. Ending gracefully (FIN, not RST) lets a final Disconnect frame arrive.
 */
export const CLOSE_LINGER_MS = 1000;
/**
 * Bytes of frames queued unsent, past what the kernel holds, beyond which the peer counts as not
 * reading: it could otherwise make us buffer without bound by asking and never reading the
 * answers. Sixteen frames of the largest size: an honest peer never gets near it.
 */
export const MAX_UNSENT_BYTES = 16 * MAX_CONTROL_FRAME_BYTES;
/** What a version-1 peer reads when refused: it shows a Disconnect's text to its user. */
const VERSION_1_REFUSAL =
  'this peer speaks control version 2 only (varint-delimited frames, docs/CONTROL.md §1.1): upgrade syfala on your side';

export interface FrameSocketHandlers {
  /** A decoded frame, in arrival order. */
  message(message: ControlMessage): void;
  /**
   * The peer or the transport ended the connection: a DecodeError for a broken frame (the
   * connection is then closed with Disconnect PROTOCOL_ERROR), else a NetworkError
   * CONNECTION_CLOSED. Never called after our own close() or destroy().
   */
  lost(error: Error): void;
}

export interface FrameSocketOptions {
  /** Largest frame accepted, in bytes (default MAX_CONTROL_FRAME_BYTES). */
  readonly maxFrameBytes?: number;
  /** Told of every frame that could not be decoded (a server counts them). */
  readonly onDecodeError?: (error: DecodeError) => void;
  /**
   * Told of an error thrown by a handler (a bug): the connection is then dropped, since the
   * handler may have stopped half-way, and `lost` follows.
   */
  readonly onHandlerError?: (error: unknown) => void;
}

/**
 * How a connection ends after `error`: a peer framing as control version 1 is told it is not
 * spoken here, in the framing it reads (CONTROL.md §1.1); any other broken frame is a protocol
 * error (§7).
 */
export function disconnectReasonFor(error: DecodeError): DisconnectReason {
  return error.code === 'BAD_VERSION' ? 'version-unsupported' : 'protocol-error';
}

/**
 * A TCP connection carrying control frames (CONTROL.md §1, §7): decodes incoming frames, encodes
 * outgoing ones, and turns every way the connection can end into one `lost` call. The handshake
 * owns it first, then hands it to a TcpControlChannel with setHandlers().
 */
export class FrameSocket {
  readonly peer: { readonly address: string; readonly port: number };
  /** Resolves once the socket is fully closed (after any linger). */
  readonly whenClosed: Promise<void>;
  readonly #socket: Socket;
  readonly #decoder: ControlFrameDecoder;
  readonly #onDecodeError: ((error: DecodeError) => void) | undefined;
  readonly #onHandlerError: ((error: unknown) => void) | undefined;
  #handlers: FrameSocketHandlers;
  /** Why we dropped the connection, when a handler threw. */
  #failure: Error | undefined;
  #open = true;
  #linger: NodeJS.Timeout | undefined;

  /** `socket` must be connected. */
  constructor(socket: Socket, handlers: FrameSocketHandlers, options: FrameSocketOptions = {}) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#decoder = new ControlFrameDecoder(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
    this.#onDecodeError = options.onDecodeError;
    this.#onHandlerError = options.onHandlerError;
    this.peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    // Control frames are small and latency-sensitive: never let Nagle hold one back.
    socket.setNoDelay(true);
    this.whenClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    const onError = (error: unknown): void => this.#handlerFailed(error);
    socket.on(
      'data',
      guarded((chunk: Buffer) => this.#onData(chunk), onError),
    );
    socket.on(
      'end',
      guarded(() => this.#onEnd(), onError),
    );
    socket.on(
      'error',
      guarded(
        (error: Error) =>
          this.#lose(
            new NetworkError(
              'CONNECTION_CLOSED',
              `control connection with ${this.#where()} failed: ${error.message}`,
              { cause: error },
            ),
          ),
        onError,
      ),
    );
    socket.on(
      'close',
      guarded(() => {
        clearTimeout(this.#linger);
        this.#lose(
          this.#failure ??
            new NetworkError(
              'CONNECTION_CLOSED',
              `control connection with ${this.#where()} closed`,
            ),
        );
      }, onError),
    );
  }

  /** False once the connection ended, either way; sending then does nothing. */
  get open(): boolean {
    return this.#open;
  }

  setHandlers(handlers: FrameSocketHandlers): void {
    this.#handlers = handlers;
  }

  /** Drops the connection instead when the peer has left MAX_UNSENT_BYTES unread (`lost` follows). */
  send(message: ControlMessage): void {
    if (!this.#open || this.#socket.destroyed) return;
    if (this.#socket.writableLength > MAX_UNSENT_BYTES) {
      this.#socket.destroy(
        new Error(`the peer is not reading (over ${MAX_UNSENT_BYTES} bytes of frames unsent)`),
      );
      return;
    }
    this.#socket.write(encodeControlFrame(message));
  }

  /**
   * Ends the connection gracefully, after `final` when given (a Disconnect); the socket is
   * destroyed after CLOSE_LINGER_MS if the peer does not close its side first. Idempotent.
   */
  close(final?: ControlMessage): void {
    this.#end(final === undefined ? undefined : encodeControlFrame(final));
  }

  /** close() with `frame` already encoded. */
  #end(frame: Uint8Array | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    // Keep reading (and discarding) until the peer closes: unread data would turn our FIN into
    // a reset, which can discard the final frame before the peer reads it.
    if (frame === undefined) this.#socket.end();
    else this.#socket.end(frame);
    this.#linger = setTimeout(() => this.#socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  /** Drops the connection at once, whatever is in flight. */
  destroy(): void {
    this.#open = false;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (!this.#open) return;
    let messages: ControlMessage[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // The stream has no resync point: tell the peer why (best effort) and end it (CONTROL.md §7).
      this.#onDecodeError?.(error);
      const reason = disconnectReasonFor(error);
      if (reason === 'version-unsupported') {
        this.#end(
          encodeVersion1ControlFrame({
            type: 'disconnect',
            requestId: 0,
            reason,
            text: VERSION_1_REFUSAL,
          }),
        );
      } else {
        this.close({ type: 'disconnect', requestId: 0, reason, text: error.message });
      }
      this.#handlers.lost(error);
      return;
    }
    for (const message of messages) {
      // A handler may close the connection; nothing after that is acted on.
      if (!this.#open) return;
      this.#handlers.message(message);
    }
  }

  #onEnd(): void {
    if (!this.#open) return;
    try {
      this.#decoder.end();
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.#onDecodeError?.(error);
      this.#lose(
        new NetworkError(
          'CONNECTION_CLOSED',
          `control connection with ${this.#where()} ended in the middle of a frame`,
          { cause: error },
        ),
      );
      return;
    }
    this.#lose(
      new NetworkError('CONNECTION_CLOSED', `${this.#where()} closed the control connection`),
    );
  }

  #handlerFailed(error: unknown): void {
    this.#onHandlerError?.(error);
    this.#failure ??= new NetworkError(
      'CONNECTION_CLOSED',
      `control connection with ${this.#where()} dropped: handling its input failed (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
    // `lost` follows from the 'close' event, itself guarded: a second throw cannot loop.
    this.#socket.destroy();
  }

  #lose(error: Error): void {
    if (!this.#open) return;
    this.#open = false;
    this.#handlers.lost(error);
  }

  #where(): string {
    return formatAddress(this.peer.address, this.peer.port);
  }
}
