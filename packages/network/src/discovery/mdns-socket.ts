import type { RemoteInfo } from 'node:dgram';
import { Bonjour, type ServiceConfig } from 'bonjour-service';
import { bindError, checkLocalInterface } from './options.js';

/** RFC 6762: the mDNS port. */
export const MDNS_PORT = 5353;

/** A DNS resource record as multicast-dns (dns-packet) decodes it. Untrusted: check `data`. */
export interface MdnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: unknown;
}

export interface MdnsResponse {
  readonly answers?: readonly MdnsRecord[];
  readonly additionals?: readonly MdnsRecord[];
}

/** What multicast-dns sends: a response, or a bare list of answers. */
export type MdnsOutgoing = MdnsResponse | readonly MdnsRecord[];

export interface MdnsQuestion {
  readonly name: string;
  readonly type: 'PTR' | 'SRV' | 'TXT';
}

/** The part of a multicast-dns instance we use (bonjour-service types it `any`). */
export interface MulticastDns {
  on(event: 'response', listener: (packet: MdnsResponse, rinfo: RemoteInfo) => void): void;
  on(event: 'ready', listener: () => void): void;
  on(event: 'error' | 'warning', listener: (error: Error) => void): void;
  off(event: 'ready', listener: () => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
  query(questions: readonly MdnsQuestion[], callback: (error?: Error | null) => void): void;
  /** Multicasts a response (bonjour-service's announcements, answers and goodbyes). */
  respond(response: MdnsOutgoing, ...rest: unknown[]): void;
  /** The listeners of a query (bonjour-service's responder among them). */
  listeners(event: 'query'): ((query: unknown, rinfo: RemoteInfo) => void)[];
  on(event: 'query', listener: (query: unknown, rinfo: RemoteInfo) => void): void;
  off(event: 'query', listener: (query: unknown, rinfo: RemoteInfo) => void): void;
}

export interface MdnsSocketOptions {
  /** IPv4 address of the interface to join the group on and send through; default all of them. */
  readonly interface: string | undefined;
  /** Local address to bind: 0.0.0.0 (Linux gives group traffic only to wildcard-bound sockets). */
  readonly bind: string;
}

/**
 * A bonjour-service instance whose mDNS socket is bound and has joined the group, with the
 * multicast-dns object under it. We need that object: bonjour-service does not listen for the
 * socket's 'error' event (an unheard EventEmitter error would crash the process), reports a
 * failed bind as a successful publish, and its Browser neither refreshes nor expires records
 * (onlxltd/bonjour-service#25), so we browse on the socket ourselves (mdns-browser.ts).
 */
export interface MdnsSocket {
  readonly bonjour: Bonjour;
  readonly mdns: MulticastDns;
}

/**
 * Opens the socket (reuseAddr, so it shares port 5353 with avahi, other browsers and publishers).
 * `onSocketError` hears failures after the socket opened. Rejects with NetworkError when the
 * socket can't bind or the interface is not one of this host's.
 */
export async function openMdnsSocket(
  options: MdnsSocketOptions,
  onSocketError: (error: Error) => void,
): Promise<MdnsSocket> {
  if (options.interface !== undefined) checkLocalInterface(options.interface, 'mDNS interface');
  // bonjour-service passes its constructor options to multicast-dns but types them as a
  // service config; `interface` and `bind` are multicast-dns options. Unset, multicast-dns would
  // bind the interface address, which receives no multicast on Linux.
  const mdnsOptions = {
    bind: options.bind,
    ...(options.interface === undefined ? {} : { interface: options.interface }),
  };
  const bonjour = new Bonjour(mdnsOptions as Partial<ServiceConfig>, onSocketError);
  // Private in bonjour-service's typings; the lockfile pins the version this was written against.
  const { mdns } = (bonjour as unknown as { server: { mdns: MulticastDns } }).server;
  try {
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        mdns.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        mdns.off('ready', onReady);
        reject(error);
      };
      mdns.on('ready', onReady);
      mdns.on('error', onError);
    });
  } catch (error) {
    await new Promise<void>((resolve) => bonjour.destroy(resolve));
    throw bindError('mDNS socket', options.bind, MDNS_PORT, error);
  }
  mdns.on('error', onSocketError);
  return { bonjour, mdns };
}

/** Closes the socket (dropping its memberships); resolves when it is closed. */
export function closeMdnsSocket(socket: MdnsSocket): Promise<void> {
  return new Promise((resolve) => socket.bonjour.destroy(() => resolve()));
}
