import { hostname } from 'node:os';
import { MAX_PROTOCOL_VERSION } from '@syfala/proto';
import type { Service } from 'bonjour-service';
import { MDNS_SERVICE_TYPE, type Endpoint } from '../endpoint.js';
import { guarded, type PeerInputError } from '../guard.js';
import { formatAddress } from '../control/address.js';
import {
  closeMdnsSocket,
  openMdnsSocket,
  type MdnsOutgoing,
  type MdnsRecord,
  type MdnsSocket,
} from './mdns-socket.js';
import { checkIPv4, checkPort } from './options.js';
import { encodeEndpointTxt, fitUtf8 } from './txt-record.js';

/** What a server publishes about itself. */
export type EndpointInfo = Pick<Endpoint, 'id' | 'name' | 'udpPort' | 'controlPort' | 'formats'>;

export interface PublishOptions {
  /** IPv4 address of the interface to announce on. Default: all IPv4 interfaces. */
  readonly interface?: string;
  /**
   * Local address the mDNS socket binds. Default 0.0.0.0: on Linux a socket bound to an
   * interface address never hears the queries sent to the group.
   */
  readonly bind?: string;
  /** Host name the SRV record points at. Default: this machine's name in `.local`. */
  readonly host?: string;
  /** Told of each error thrown while answering a query (counted in `handlerErrors`). */
  readonly onInputError?: (report: PeerInputError) => void;
}

/**
 * Records only this host answers for (RFC 6762 §10.2): they carry the cache-flush bit, so that a
 * cache replaces what it held for the name (an old port, an old TXT record) rather than add to it.
 * PTR records are shared (many hosts offer _syfala._udp) and never carry it.
 */
const UNIQUE_RECORD_TYPES = new Set(['SRV', 'TXT', 'A', 'AAAA']);

function withCacheFlush(records: readonly MdnsRecord[] = []): MdnsRecord[] {
  return records.map((record) =>
    UNIQUE_RECORD_TYPES.has(record.type) ? { ...record, flush: true } : record,
  );
}

/**
 * Sets the cache-flush bit on the unique records of everything bonjour-service sends on `socket`
 * (it never does). Its responses all go to the group, never as legacy unicast answers, which must
 * not carry the bit (RFC 6762 §6.7).
 */
function flushUniqueRecords(socket: MdnsSocket): void {
  const respond = socket.mdns.respond.bind(socket.mdns);
  socket.mdns.respond = (response: MdnsOutgoing, ...rest: unknown[]): void => {
    const marked = isRecordList(response)
      ? withCacheFlush(response)
      : {
          ...response,
          answers: withCacheFlush(response.answers),
          additionals: withCacheFlush(response.additionals),
        };
    respond(marked, ...rest);
  };
}

function isRecordList(response: MdnsOutgoing): response is readonly MdnsRecord[] {
  return Array.isArray(response);
}

/** RFC 6763 §4.1.1: an instance name is one DNS label, at most 63 bytes. */
const MAX_INSTANCE_NAME_BYTES = 63;

/**
 * The DNS-SD instance name for an endpoint: its name, then the first 8 hex digits of its id, so
 * that two endpoints with the same name never collide ("Studio A (3f2a9c1e)"). Dots become dashes
 * (bonjour-service would split the label on them) and control characters become spaces.
 */
export function instanceNameFor(name: string, id: string): string {
  const suffix = ` (${id.slice(0, 8)})`;
  const readable = name.replaceAll('.', '-').replace(/\p{Cc}/gu, ' ');
  const base = fitUtf8(readable, MAX_INSTANCE_NAME_BYTES - suffix.length).trim();
  return `${base === '' ? 'syfala' : base}${suffix}`;
}

/**
 * A published `_syfala._udp` service (docs/DISCOVERY.md §3). Close it to send the goodbye that
 * tells browsers the endpoint is gone.
 */
export class MdnsPublication {
  /** The DNS-SD instance name, as browsers show it. */
  readonly instanceName: string;
  readonly #socket: MdnsSocket;
  readonly #service: Service;
  readonly #errors: { count: number; handler: number };
  #closing: Promise<void> | undefined;

  /** @internal Use publishEndpoint(). */
  constructor(socket: MdnsSocket, service: Service, errors: { count: number; handler: number }) {
    this.#socket = socket;
    this.#service = service;
    this.#errors = errors;
    this.instanceName = service.name;
  }

  /** Announcements and answers that failed to send; the service stays published. */
  get sendErrors(): number {
    return this.#errors.count;
  }

  /** Queries whose answering threw (a bug): not answered, the service stays published. */
  get handlerErrors(): number {
    return this.#errors.handler;
  }

  /** Sends the goodbye (the records again with TTL 0), then closes the socket. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => this.#service.stop(() => resolve())).then(() =>
      closeMdnsSocket(this.#socket),
    );
    return this.#closing;
  }
}

/**
 * Publishes an endpoint over DNS-SD: service `_syfala._udp`, port = its UDP port, TXT record as in
 * docs/DISCOVERY.md §3. Resolves once the first announcement is sent. Rejects with ValueError
 * naming a bad field, or with NetworkError when the mDNS socket can't be opened.
 */
export async function publishEndpoint(
  info: EndpointInfo,
  options: PublishOptions = {},
): Promise<MdnsPublication> {
  const txt = encodeEndpointTxt({
    id: info.id,
    name: info.name,
    controlPort: info.controlPort,
    protocolVersion: MAX_PROTOCOL_VERSION,
    ...(info.formats === undefined ? {} : { formats: info.formats }),
  });
  const port = checkPort(info.udpPort, 'udpPort');
  const bind = checkIPv4(options.bind ?? '0.0.0.0', 'bind');
  const iface =
    options.interface === undefined ? undefined : checkIPv4(options.interface, 'interface');
  const host = options.host ?? `${hostname().split('.')[0]}.local`;

  const errors = { count: 0, handler: 0 };
  const socket = await openMdnsSocket({ bind, interface: iface }, () => (errors.count += 1));
  // bonjour-service answers queries in a listener of its own: a query that trips a bug there
  // must not end the process.
  for (const listener of socket.mdns.listeners('query')) {
    socket.mdns.off('query', listener);
    socket.mdns.on(
      'query',
      guarded(listener, (error, _query, rinfo) => {
        errors.handler += 1;
        options.onInputError?.({
          plane: 'mdns',
          peer: formatAddress(rinfo.address, rinfo.port),
          error,
        });
      }),
    );
  }
  flushUniqueRecords(socket);
  // The id suffix makes the name unique, so probing (RFC 6762 §8.1) is skipped: bonjour-service
  // answers a conflict by sending a goodbye for the name, which would remove the other holder.
  const service = socket.bonjour.publish({
    name: instanceNameFor(info.name, info.id),
    type: MDNS_SERVICE_TYPE,
    protocol: 'udp',
    port,
    host,
    txt,
    probe: false,
  });
  await new Promise<void>((resolve) => service.once('up', () => resolve()));
  return new MdnsPublication(socket, service, errors);
}
