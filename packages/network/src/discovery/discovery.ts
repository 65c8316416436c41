import { Observable, Subject } from 'rxjs';
import type { Endpoint, EndpointEvent } from '../endpoint.js';
import {
  BeaconSource,
  resolveBeaconOptions,
  type BeaconOptions,
  type ResolvedBeaconOptions,
} from './beacon.js';
import { BeaconCounters, MdnsCounters, type BeaconStats, type MdnsStats } from './counters.js';
import { EndpointTable, type EndpointSink } from './endpoint-table.js';
import { MdnsBrowser } from './mdns-browser.js';
import type { MdnsSocketOptions } from './mdns-socket.js';
import { checkDurationMs, checkIPv4 } from './options.js';

export interface MdnsBrowseOptions {
  /**
   * IPv4 address of the interface to browse on. Default: the discovery's `interface`, else its
   * `bind` unless 0.0.0.0, else every IPv4 interface.
   */
  readonly interface?: string;
}

export interface DiscoveryOptions {
  /** DSCV beacons answered by CONN; `false` turns them off. Default: on, to 239.255.69.10:6910. */
  readonly beacon?: false | BeaconOptions;
  /** DNS-SD browsing for `_syfala._udp`; `false` turns it off. Default: on. */
  readonly mdns?: false | MdnsBrowseOptions;
  /** IPv4 address of the interface to discover on: beacons leave through it, mDNS joins on it. */
  readonly interface?: string;
  /**
   * Local IPv4 address to discover from: the beacon socket binds it (so answers come back to it)
   * and, unless `interface` says otherwise, it picks the interface for both methods. The mDNS
   * socket itself always binds 0.0.0.0: Linux delivers group traffic only to sockets bound to
   * the wildcard (or the group).
   */
  readonly bind?: string;
}

/** Counters since the Discovery was created, across every run of its sockets. */
export interface DiscoveryStats {
  readonly beacon: BeaconStats;
  readonly mdns: MdnsStats;
}

interface ResolvedOptions {
  readonly beacon: ResolvedBeaconOptions | undefined;
  readonly mdns: MdnsSocketOptions | undefined;
}

function resolveOptions(options: DiscoveryOptions): ResolvedOptions {
  const shared = {
    bind: options.bind === undefined ? undefined : checkIPv4(options.bind, 'bind'),
    interface:
      options.interface === undefined ? undefined : checkIPv4(options.interface, 'interface'),
  };
  const fromBind = shared.bind === '0.0.0.0' ? undefined : shared.bind;
  const mdnsInterface =
    options.mdns === false ? undefined : (options.mdns?.interface ?? shared.interface ?? fromBind);
  return {
    beacon:
      options.beacon === false ? undefined : resolveBeaconOptions(options.beacon ?? {}, shared),
    mdns:
      options.mdns === false
        ? undefined
        : {
            bind: '0.0.0.0',
            interface:
              mdnsInterface === undefined ? undefined : checkIPv4(mdnsInterface, 'mdns.interface'),
          },
  };
}

/** One run of the sockets, from the first subscriber to the last unsubscribe. */
interface Run {
  stopped: boolean;
  readonly sources: { close(): Promise<void> }[];
  /** Settles once every source has opened or failed to. */
  opened: Promise<void>;
}

/**
 * Finds Syfala endpoints by beacons and by DNS-SD at once, merged into one stream keyed by
 * endpoint id (docs/DISCOVERY.md §4).
 *
 * `events$` is lazy and shared: the sockets open when the first subscriber arrives and close
 * when the last one leaves (the known endpoints are then forgotten, without events). A subscriber
 * that joins while others are subscribed first gets 'added' for every endpoint already known.
 * Bad datagrams and records are counted in `stats()`, never sent as errors; `events$` errors only
 * when a socket can't be opened (NetworkError), and completes on `close()`.
 */
export class Discovery {
  readonly events$: Observable<EndpointEvent>;
  readonly #options: ResolvedOptions;
  readonly #events = new Subject<EndpointEvent>();
  readonly #table = new EndpointTable((event) => this.#events.next(event));
  readonly #beaconCounters = new BeaconCounters();
  readonly #mdnsCounters = new MdnsCounters();
  #subscribers = 0;
  #run: Run | undefined;
  #stopped: Promise<void> = Promise.resolve();
  /** Completed or errored: subscribers get that and nothing opens again. */
  #finished = false;

  /** Checks the options (throws ValueError naming a bad one); opens nothing until subscribed. */
  constructor(options: DiscoveryOptions = {}) {
    this.#options = resolveOptions(options);
    this.events$ = new Observable<EndpointEvent>((subscriber) => {
      if (this.#finished) return this.#events.subscribe(subscriber);
      for (const endpoint of this.#table.endpoints()) subscriber.next({ type: 'added', endpoint });
      const subscription = this.#events.subscribe(subscriber);
      this.#subscribers += 1;
      if (this.#subscribers === 1) this.#start();
      return () => {
        subscription.unsubscribe();
        this.#subscribers -= 1;
        if (this.#subscribers === 0) this.#stop();
      };
    });
  }

  /** The endpoints known now (none while nobody is subscribed). */
  endpoints(): Endpoint[] {
    return this.#table.endpoints();
  }

  /** A snapshot of the counters. */
  stats(): DiscoveryStats {
    return { beacon: this.#beaconCounters.snapshot(), mdns: this.#mdnsCounters.snapshot() };
  }

  /** Completes `events$` and closes the sockets; resolves once they are closed. Idempotent. */
  async close(): Promise<void> {
    if (!this.#finished) {
      this.#finished = true;
      this.#events.complete();
      this.#stop();
    }
    await this.#stopped;
  }

  #start(): void {
    const run: Run = { stopped: false, sources: [], opened: Promise.resolve() };
    this.#run = run;
    // Views from a stopped run's sockets must not reach the table of a later run.
    const sink: EndpointSink = {
      seen: (method, endpoint) => {
        if (!run.stopped) this.#table.seen(method, endpoint);
      },
      lost: (method, id, reason) => {
        if (!run.stopped) this.#table.lost(method, id, reason);
      },
    };
    const { beacon, mdns } = this.#options;
    const opening: Promise<{ close(): Promise<void> }>[] = [];
    if (beacon !== undefined) opening.push(BeaconSource.open(beacon, sink, this.#beaconCounters));
    if (mdns !== undefined) opening.push(MdnsBrowser.open(mdns, sink, this.#mdnsCounters));
    run.opened = Promise.allSettled(opening).then((results) => {
      for (const result of results) {
        if (result.status === 'fulfilled') run.sources.push(result.value);
      }
      const failure = results.find((result) => result.status === 'rejected');
      if (failure !== undefined && !run.stopped) {
        this.#finished = true;
        // Subscribers unsubscribe on error, which stops the run and closes what did open.
        this.#events.error(failure.reason);
      }
    });
  }

  #stop(): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    run.stopped = true;
    this.#table.clear();
    this.#stopped = run.opened.then(async () => {
      await Promise.all(run.sources.map((source) => source.close()));
    });
  }
}

/**
 * Discovers endpoints by beacons and DNS-SD, merged by endpoint id (docs/DISCOVERY.md §4). The
 * returned Observable is lazy and shared (see Discovery): sockets open on the first subscription
 * and close after the last unsubscribe. Throws ValueError now for a bad option.
 */
export function discover(options: DiscoveryOptions = {}): Observable<EndpointEvent> {
  return new Discovery(options).events$;
}

export interface DiscoverOnceOptions extends DiscoveryOptions {
  /** How long to listen, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Listens for `timeoutMs` and resolves with the endpoints known at the end, sorted by name then
 * id; the sockets are closed by then. Rejects with NetworkError when a socket can't be opened.
 */
export async function discoverOnce(options: DiscoverOnceOptions): Promise<Endpoint[]> {
  const { timeoutMs, ...rest } = options;
  checkDurationMs(timeoutMs, 'timeoutMs');
  const discovery = new Discovery(rest);
  try {
    const endpoints = await new Promise<Endpoint[]>((resolve, reject) => {
      const subscription = discovery.events$.subscribe({
        error: (error: unknown) => reject(error),
      });
      const timer = setTimeout(() => {
        const found = discovery.endpoints();
        subscription.unsubscribe();
        resolve(found);
      }, timeoutMs);
      subscription.add(() => clearTimeout(timer));
    });
    return endpoints.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  } finally {
    await discovery.close();
  }
}
