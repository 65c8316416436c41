import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { NetworkError } from '../errors.js';
import { formatAddress } from './address.js';

/**
 * A UDP socket opened and bound on `address`:`port` (0 picks a free port). Rejects with
 * NetworkError ADDRESS_IN_USE when the port is taken, BIND_FAILED for other bind errors;
 * `purpose` names the socket in those messages.
 */
export async function bindUdpSocket(
  address: string,
  port: number,
  purpose: string,
): Promise<Socket> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.close();
      const where = formatAddress(address, port);
      reject(
        error.code === 'EADDRINUSE'
          ? new NetworkError(
              'ADDRESS_IN_USE',
              `UDP port ${where} for ${purpose} is already in use; stop the other server or pick another port`,
              { cause: error },
            )
          : new NetworkError(
              'BIND_FAILED',
              `could not bind the UDP socket for ${purpose} to ${where} (${error.code ?? error.message})`,
              { cause: error },
            ),
      );
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return socket;
}

/**
 * Sends datagrams on a UDP socket and closes it without losing what was sent last. Node sends
 * a datagram on a later tick (after its address lookup) and drops it silently when the socket
 * was closed meanwhile, so a DCON sent just before close() would never leave.
 */
export class DatagramSender {
  readonly #socket: Socket;
  readonly #owned: boolean;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /** `owned`: close() closes the socket; a socket shared with others is left open. */
  constructor(socket: Socket, owned: boolean) {
    this.#socket = socket;
    this.#owned = owned;
  }

  /** Best effort, like UDP itself: a send that fails is a lost datagram. Nothing after close(). */
  send(datagram: Uint8Array, port: number, address: string): void {
    if (this.#closing !== undefined) return;
    try {
      this.#socket.send(datagram, port, address, () => {
        this.#inFlight--;
        if (this.#inFlight === 0) this.#drained?.();
      });
    } catch (error) {
      // A shared socket its owner closed: the datagram is lost, and the owner of the channel
      // hears of the close from the socket's 'close' event.
      if ((error as NodeJS.ErrnoException).code === 'ERR_SOCKET_DGRAM_NOT_RUNNING') return;
      throw error;
    }
    this.#inFlight++;
  }

  /** Waits for the datagrams in flight, then closes the socket if owned. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#owned) return;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
