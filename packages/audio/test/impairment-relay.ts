import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { createAudioHeader, readAudioHeader } from '@syfala/proto';

export interface Impairments {
  /** Probability per datagram of each fate; the rest pass untouched. */
  readonly drop: number;
  readonly duplicate: number;
  /** Held back and sent after the next datagram: reordered by one. */
  readonly swap: number;
  readonly seed: number;
}

export interface RelayReport {
  forwarded: number;
  /** Byte ranges [start, end) of the dropped audio datagrams, in sending order. */
  dropped: Array<[number, number]>;
  /** Byte ranges of the audio datagrams sent twice. */
  duplicated: Array<[number, number]>;
  swapped: number;
}

/**
 * A one-way UDP relay on 127.0.0.1 that impairs audio datagrams on their way to `target`,
 * seeded and reproducible, and reports exactly what it did (the kernel here has no netem).
 */
export class ImpairmentRelay {
  readonly report: RelayReport = { forwarded: 0, dropped: [], duplicated: [], swapped: 0 };
  readonly #socket: Socket;
  readonly #target: number;
  readonly #impairments: Impairments;
  readonly #header = createAudioHeader();
  #state: number;
  #held: Buffer | undefined;

  private constructor(socket: Socket, target: number, impairments: Impairments) {
    this.#socket = socket;
    this.#target = target;
    this.#impairments = impairments;
    this.#state = impairments.seed >>> 0 || 1;
    socket.on('message', (datagram) => this.#relay(datagram));
  }

  static async start(target: number, impairments: Impairments): Promise<ImpairmentRelay> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new ImpairmentRelay(socket, target, impairments);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #random(): number {
    this.#state ^= this.#state << 13;
    this.#state ^= this.#state >>> 17;
    this.#state ^= this.#state << 5;
    return (this.#state >>> 0) / 2 ** 32;
  }

  #relay(datagram: Buffer): void {
    const { drop, duplicate, swap } = this.#impairments;
    const roll = this.#random();
    if (roll < drop) {
      this.report.dropped.push(this.#range(datagram));
    } else if (roll < drop + duplicate) {
      this.#send(datagram);
      this.#send(datagram);
      this.report.duplicated.push(this.#range(datagram));
    } else if (roll < drop + duplicate + swap && this.#held === undefined) {
      this.#held = datagram;
      this.report.swapped++;
      return;
    } else {
      this.#send(datagram);
    }
    if (this.#held !== undefined) {
      const held = this.#held;
      this.#held = undefined;
      this.#send(held);
    }
  }

  #range(datagram: Buffer): [number, number] {
    const h = readAudioHeader(datagram, this.#header);
    return [h.byteIndex, h.byteIndex + h.byteCount];
  }

  #send(datagram: Buffer): void {
    this.report.forwarded++;
    this.#socket.send(datagram, this.#target, '127.0.0.1');
  }
}
