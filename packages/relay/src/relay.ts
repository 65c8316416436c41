import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { isIP } from 'node:net';
import { checkAddress, type Endpoint } from './addresses.js';
import { ImpairedDirection } from './direction.js';
import { RelayError } from './errors.js';
import { checkImpairments, checkSeed, type Impairments } from './options.js';
import type { RelayReport } from './report.js';

/** Socket buffers asked of the kernel, as the engines ask (4 MiB). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface RelayOptions {
  /** Where datagrams from sources go. Loopback only, unless `allowRemote`. */
  readonly target: Endpoint;
  /** Where the relay listens: by default a free port on the target family's loopback address. */
  readonly listen?: Endpoint;
  /** Each direction's impairments; a direction without any forwards untouched. */
  readonly impairments?: {
    readonly toTarget?: Impairments;
    readonly toSource?: Impairments;
  };
  /** A uint32: the same seed and the same datagrams in the same order give the same fates. */
  readonly seed: number;
  /** Accept listen and target addresses that are not loopback. */
  readonly allowRemote?: boolean;
}

/**
 * A UDP proxy for one pair of peers, in user space (netem needs a kernel that has it): whatever
 * reaches its port from anyone but the target goes to the target, and whatever the target sends
 * back goes to the last such sender, each direction impaired on its own, seeded and reproducible.
 * It reports exactly what it did, down to the byte ranges of each audio stream.
 */
export class ImpairmentRelay {
  readonly #socket: Socket;
  readonly #seed: number;
  readonly #listen: Endpoint;
  readonly #target: Endpoint;
  readonly #toTarget: ImpairedDirection;
  readonly #toSource: ImpairedDirection;
  #source: Endpoint | undefined;
  #socketErrors = 0;
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket, target: Endpoint, options: RelayOptions) {
    this.#socket = socket;
    this.#seed = options.seed;
    this.#target = target;
    const bound = socket.address();
    this.#listen = { address: bound.address, port: bound.port };
    const send = (datagram: Buffer, to: Endpoint, done: (error: Error | null) => void): void =>
      socket.send(datagram, to.port, to.address, done);
    const { toTarget = {}, toSource = {} } = options.impairments ?? {};
    this.#toTarget = new ImpairedDirection('toTarget', toTarget, options.seed, send);
    this.#toSource = new ImpairedDirection('toSource', toSource, options.seed, send);
    socket.on('message', (datagram, from) => this.#route(datagram, from));
    socket.on('error', () => this.#socketErrors++);
  }

  /** Checks every option (RelayError), binds, and forwards from then on. */
  static async start(options: RelayOptions): Promise<ImpairmentRelay> {
    checkSeed(options.seed);
    checkImpairments(options.impairments?.toTarget ?? {}, 'toTarget');
    checkImpairments(options.impairments?.toSource ?? {}, 'toSource');
    const allowRemote = options.allowRemote === true;
    const target = checkAddress(options.target, 'target', allowRemote);
    const targetFamily = isIP(target.address);
    const listen = checkAddress(
      options.listen ?? { address: targetFamily === 6 ? '::1' : '127.0.0.1', port: 0 },
      'listen',
      allowRemote,
    );
    if (isIP(listen.address) !== targetFamily) {
      throw new RelayError(
        'BAD_ADDRESS',
        `listen ${listen.address} and target ${target.address} are not of one IP family`,
      );
    }
    const socket = createSocket(targetFamily === 6 ? 'udp6' : 'udp4');
    socket.bind(listen.port, listen.address);
    try {
      await once(socket, 'listening');
    } catch (error) {
      socket.close();
      throw error;
    }
    // As the engines do: a stall of the relay's thread must not let the kernel drop what its
    // report would then never see (Linux caps this at net.core.rmem_max).
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
    return new ImpairmentRelay(socket, target, options);
  }

  /** Where the relay listens: sources send here, and the target sees this as its peer. */
  get address(): Endpoint {
    return this.#listen;
  }

  get port(): number {
    return this.#listen.port;
  }

  /** What the relay did so far, per direction (a snapshot: later traffic does not change it). */
  report(): RelayReport {
    return {
      seed: this.#seed,
      listen: { ...this.#listen },
      target: { ...this.#target },
      toTarget: this.#toTarget.report(),
      toSource: this.#toSource.report(),
      socketErrors: this.#socketErrors,
    };
  }

  /** Stops forwarding: copies still scheduled are discarded (and reported), the socket closes. */
  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#toTarget.close();
      this.#toSource.close();
      this.#socket.close(() => resolve());
    });
    return this.#closed;
  }

  #route(datagram: Buffer, from: { address: string; port: number }): void {
    if (from.address === this.#target.address && from.port === this.#target.port) {
      if (this.#source === undefined) this.#toSource.unroutable(datagram);
      else this.#toSource.accept(datagram, this.#source);
    } else {
      const source = this.#source;
      if (source?.port !== from.port || source.address !== from.address) {
        this.#source = { address: from.address, port: from.port };
      }
      this.#toTarget.accept(datagram, this.#target);
    }
  }
}
