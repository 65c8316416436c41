import type { RemoteInfo } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { DecodeError } from '@syfala/proto';
import { MDNS_SERVICE_TYPE, type Endpoint } from '../endpoint.js';
import type { MdnsCounters } from './counters.js';
import { endpointsEqual, type EndpointSink, type RemovalReason } from './endpoint-table.js';
import {
  closeMdnsSocket,
  openMdnsSocket,
  type MdnsQuestion,
  type MdnsRecord,
  type MdnsResponse,
  type MdnsSocket,
  type MdnsSocketOptions,
} from './mdns-socket.js';
import { decodeEndpointTxt, type EndpointAdvert } from './txt-record.js';

/** The DNS-SD service type servers publish, as a DNS name. */
export const SERVICE_DOMAIN = `_${MDNS_SERVICE_TYPE}._udp.local`;

/** RFC 6762 §5.2: query a cached record at 80, 85, 90 and 95 % of its TTL, then expire it. */
const REFRESH_FRACTIONS = [0.8, 0.85, 0.9, 0.95];
/** RFC 6762 §5.2: plus up to 2 % of the TTL at random, so that browsers don't query in step. */
const REFRESH_JITTER_FRACTION = 0.02;
/** RFC 6762 §5.2: browsing queries start 1 s apart and the gap doubles up to 60 min. */
const FIRST_BROWSE_GAP_MS = 1000;
const MAX_BROWSE_GAP_MS = 3_600_000;
/** Least time between two queries for an instance's missing SRV or TXT record. */
const RESOLVE_GAP_MS = 1000;

interface CachedRecord {
  readonly receivedAtMs: number;
  readonly ttlMs: number;
  /** This record's share of REFRESH_JITTER_FRACTION. */
  readonly jitter: number;
  /** Refresh queries sent for it so far. */
  refreshes: number;
}

interface Instance {
  /** The instance's DNS name as received, e.g. "Studio A (3f2a9c1e)._syfala._udp.local". */
  readonly name: string;
  ptr: CachedRecord;
  srv?: CachedRecord & { readonly port: number };
  txt?: CachedRecord & { readonly strings: readonly Uint8Array[] };
  /** Source address of the packet with the SRV record: it reaches the publisher from here. */
  host: string;
  /** The endpoint its records last described validly. */
  endpoint?: Endpoint;
  /** When we last asked for its missing SRV or TXT record. */
  resolvedAtMs: number;
}

/**
 * Browses `_syfala._udp` with its own record cache (docs/DISCOVERY.md §3.4): an instance is
 * reported once its PTR, SRV and TXT records are all in and the TXT is valid; it is removed with
 * 'goodbye' when its PTR or SRV record arrives with TTL 0, and with 'expired' when any of the
 * three outlives its TTL, which the refresh queries of RFC 6762 §5.2 prevent while the publisher
 * still answers.
 */
export class MdnsBrowser {
  readonly #socket: MdnsSocket;
  readonly #sink: EndpointSink;
  readonly #counters: MdnsCounters;
  /** By lowercase DNS name: DNS names compare case-insensitively. */
  readonly #instances = new Map<string, Instance>();
  /** The instance that speaks for each endpoint id: the one most recently updated. */
  readonly #owners = new Map<string, Instance>();
  #timer: NodeJS.Timeout | undefined;
  #nextBrowseAtMs = performance.now();
  #browseGapMs = FIRST_BROWSE_GAP_MS;
  #closing: Promise<void> | undefined;

  /** Opens the mDNS socket and starts browsing; rejects with NetworkError when it can't. */
  static async open(
    options: MdnsSocketOptions,
    sink: EndpointSink,
    counters: MdnsCounters,
  ): Promise<MdnsBrowser> {
    const socket = await openMdnsSocket(options, () => (counters.socketErrors += 1));
    return new MdnsBrowser(socket, sink, counters);
  }

  private constructor(socket: MdnsSocket, sink: EndpointSink, counters: MdnsCounters) {
    this.#socket = socket;
    this.#sink = sink;
    this.#counters = counters;
    socket.mdns.on('response', (packet, rinfo) => this.#receive(packet, rinfo));
    // multicast-dns warns for undecodable packets and socket errors; only the latter have a code.
    socket.mdns.on('warning', (error) => {
      if ((error as NodeJS.ErrnoException).code === undefined) counters.malformed += 1;
      else counters.socketErrors += 1;
    });
    this.#maintain();
  }

  /** Stops browsing and closes the socket; resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      clearTimeout(this.#timer);
      this.#closing = closeMdnsSocket(this.#socket);
    }
    return this.#closing;
  }

  #receive(packet: MdnsResponse, rinfo: RemoteInfo): void {
    if (this.#closing !== undefined) return;
    this.#counters.responses += 1;
    const now = performance.now();
    const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
    const touched = new Set<Instance>();
    // PTR records first: they say which instances exist; SRV and TXT only fill in known ones.
    for (const record of records) {
      if (record.type !== 'PTR' || dnsKey(record.name) !== SERVICE_DOMAIN) continue;
      if (typeof record.data !== 'string') continue;
      const key = dnsKey(record.data);
      if (!key.endsWith(`.${SERVICE_DOMAIN}`)) continue;
      if (record.ttl === 0) {
        this.#remove(key, 'goodbye');
        continue;
      }
      const ptr = cached(record, now);
      let instance = this.#instances.get(key);
      if (instance === undefined) {
        instance = { name: record.data, ptr, host: rinfo.address, resolvedAtMs: -Infinity };
        this.#instances.set(key, instance);
      } else {
        instance.ptr = ptr;
      }
      touched.add(instance);
    }
    for (const record of records) {
      if (record.type !== 'SRV' && record.type !== 'TXT') continue;
      const key = dnsKey(record.name);
      const instance = this.#instances.get(key);
      if (instance === undefined) continue;
      if (record.type === 'SRV' && record.ttl === 0) {
        this.#remove(key, 'goodbye');
        touched.delete(instance);
      } else if (record.type === 'SRV') {
        const port = srvPort(record);
        if (port === undefined) {
          this.#counters.rejected.BAD_FIELD += 1;
          continue;
        }
        instance.srv = { ...cached(record, now), port };
        instance.host = rinfo.address;
        touched.add(instance);
      } else if (record.ttl > 0) {
        if (!isTxtData(record.data)) {
          this.#counters.rejected.BAD_FIELD += 1;
          continue;
        }
        instance.txt = { ...cached(record, now), strings: record.data };
        touched.add(instance);
      }
    }
    for (const instance of touched) this.#evaluate(instance, now);
    this.#schedule();
  }

  /** Reports the instance if its records are complete, valid and say something new. */
  #evaluate(instance: Instance, now: number): void {
    const { srv, txt } = instance;
    if (srv === undefined || txt === undefined) {
      // A PTR answer without its SRV and TXT: resolve the instance (RFC 6763 §4.2).
      if (now - instance.resolvedAtMs >= RESOLVE_GAP_MS) {
        instance.resolvedAtMs = now;
        this.#query([
          { name: instance.name, type: 'SRV' },
          { name: instance.name, type: 'TXT' },
        ]);
      }
      return;
    }
    let advert: EndpointAdvert;
    try {
      advert = decodeEndpointTxt(txt.strings);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // The last valid state, if any, stands until the records go away.
      this.#counters.rejected[error.code] += 1;
      return;
    }
    const { id, name, controlPort, protocolVersion, formats } = advert;
    const endpoint: Endpoint = {
      id,
      name,
      host: instance.host,
      udpPort: srv.port,
      controlPort,
      protocolVersion,
      ...(formats === undefined ? {} : { formats }),
      via: ['mdns'],
    };
    const previous = instance.endpoint;
    if (previous !== undefined && endpointsEqual(previous, endpoint)) return;
    if (previous !== undefined && previous.id !== id) this.#release(instance, 'goodbye');
    instance.endpoint = endpoint;
    this.#owners.set(id, instance);
    this.#sink.seen('mdns', endpoint);
  }

  #remove(key: string, reason: RemovalReason): void {
    const instance = this.#instances.get(key);
    if (instance === undefined) return;
    this.#instances.delete(key);
    this.#release(instance, reason);
  }

  /** The instance stops speaking for its id: another with that id takes over, or it is lost. */
  #release(instance: Instance, reason: RemovalReason): void {
    const id = instance.endpoint?.id;
    if (id === undefined || this.#owners.get(id) !== instance) return;
    this.#owners.delete(id);
    for (const other of this.#instances.values()) {
      if (other !== instance && other.endpoint?.id === id) {
        this.#owners.set(id, other);
        this.#sink.seen('mdns', other.endpoint);
        return;
      }
    }
    this.#sink.lost('mdns', id, reason);
  }

  /** Browses on schedule, refreshes records that are due, expires those past their TTL. */
  #maintain(): void {
    const now = performance.now();
    const questions: MdnsQuestion[] = [];
    let browse = false;
    if (now >= this.#nextBrowseAtMs) {
      browse = true;
      this.#nextBrowseAtMs = now + this.#browseGapMs;
      this.#browseGapMs = Math.min(this.#browseGapMs * 2, MAX_BROWSE_GAP_MS);
    }
    for (const [key, instance] of this.#instances) {
      const { ptr, srv, txt } = instance;
      if ([ptr, srv, txt].some((record) => record !== undefined && now >= expiresAt(record))) {
        this.#remove(key, 'expired');
        continue;
      }
      if (refreshDue(ptr, now)) browse = true;
      if (refreshDue(srv, now)) questions.push({ name: instance.name, type: 'SRV' });
      if (refreshDue(txt, now)) questions.push({ name: instance.name, type: 'TXT' });
    }
    if (browse) questions.unshift({ name: SERVICE_DOMAIN, type: 'PTR' });
    if (questions.length > 0) this.#query(questions);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closing !== undefined) return;
    // The next browse is at most MAX_BROWSE_GAP_MS away, so the delay never overflows a timer.
    let next = this.#nextBrowseAtMs;
    for (const { ptr, srv, txt } of this.#instances.values()) {
      for (const record of [ptr, srv, txt]) {
        if (record !== undefined) next = Math.min(next, deadline(record));
      }
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#maintain(), Math.max(0, next - performance.now())).unref();
  }

  #query(questions: readonly MdnsQuestion[]): void {
    this.#counters.queries += 1;
    this.#socket.mdns.query(questions, (error) => {
      if (error) this.#counters.socketErrors += 1;
    });
  }
}

function dnsKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function cached(record: MdnsRecord, now: number): CachedRecord {
  return {
    receivedAtMs: now,
    ttlMs: record.ttl * 1000,
    jitter: Math.random() * REFRESH_JITTER_FRACTION,
    refreshes: 0,
  };
}

function expiresAt(record: CachedRecord): number {
  return record.receivedAtMs + record.ttlMs;
}

/** When the record next needs attention: its next refresh query, or (after the last) expiry. */
function deadline(record: CachedRecord): number {
  const fraction = REFRESH_FRACTIONS[record.refreshes];
  return fraction === undefined
    ? expiresAt(record)
    : record.receivedAtMs + record.ttlMs * (fraction + record.jitter);
}

/** Whether a refresh query for the record is due now; counts it as sent. */
function refreshDue(record: CachedRecord | undefined, now: number): boolean {
  if (record === undefined) return false;
  let due = false;
  while (record.refreshes < REFRESH_FRACTIONS.length && now >= deadline(record)) {
    record.refreshes += 1;
    due = true;
  }
  return due;
}

function srvPort(record: MdnsRecord): number | undefined {
  const port = (record.data as { port?: unknown } | null)?.port;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 0xffff
    ? port
    : undefined;
}

function isTxtData(data: unknown): data is readonly Uint8Array[] {
  return Array.isArray(data) && data.every((entry) => entry instanceof Uint8Array);
}
