import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAddress } from '@syfala/network';
import { CliError } from '../cli-error.js';
import type { Daemon } from '../daemon.js';
import { HISTORY_INTERVAL_MS, SessionHistories } from './history.js';
import { DaemonMetrics, type MetricsFormat } from './metrics.js';
import { Snapshots } from './snapshot.js';
import { statusJson, type EndpointStatus } from './status.js';

/**
 * The page sits in src/ beside this module; from dist/observe/ the same relative path reaches it
 * (dist and src are siblings), so the built command serves the file the package ships.
 */
const PAGE_URL = new URL('../../src/observe/status-page.html', import.meta.url);

/** The page loads nothing from elsewhere: say so to the browser too. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
};

/** `--metrics [ADDRESS:]PORT`: where the HTTP listener binds. */
export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * `syfala serve --metrics`: one HTTP listener serving /metrics (OpenMetrics or Prometheus text),
 * the status page at / and its data at /status.json (docs/OBSERVABILITY.md §2, §3). Samples
 * every session's latency, jitter and loss once a second for the page's history.
 */
export class StatusServer {
  readonly #http: Server;
  readonly #page: Buffer;
  #routes: Routes | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(http: Server, page: Buffer) {
    this.#http = http;
    this.#page = page;
  }

  /**
   * Binds before the daemon starts, so a port in use fails alone: a CliError naming `flag`.
   * Answers 503 until `serve()`.
   */
  static async listen(listen: ListenAddress, flag: string): Promise<StatusServer> {
    const http = createServer();
    const status = new StatusServer(http, await readFile(PAGE_URL));
    http.on('request', (request, response) => void answer(status.#routes, request, response));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(listen.port, listen.address, () => {
        http.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      const where = formatAddress(listen.address, listen.port);
      const why =
        error.code === 'EADDRINUSE'
          ? 'is in use'
          : error.code === 'EADDRNOTAVAIL'
            ? 'is not an address of this host'
            : `cannot be listened on (${error.code ?? error.message})`;
      throw new CliError(`${flag}: ${where} ${why}`);
    });
    return status;
  }

  /** Serves `daemon`'s state from now on, and samples its sessions' history once a second. */
  serve(daemon: Daemon, endpoint: EndpointStatus): void {
    const page = this.#page;
    const snapshots = new Snapshots(daemon);
    const metrics = new DaemonMetrics(() => snapshots.take());
    const histories = new SessionHistories();
    this.#routes = {
      '/': async () => ({ status: 200, headers: PAGE_HEADERS, body: page }),
      '/status.json': async () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(statusJson(await snapshots.take(), endpoint, histories)),
      }),
      '/metrics': async (request) => {
        const { contentType, body } = await metrics.render(negotiate(request));
        return { status: 200, headers: { 'content-type': contentType }, body };
      },
    };
    // A dead engine rejects: the daemon is going down, and the page keeps the last samples.
    this.#sampler = setInterval(
      () =>
        void snapshots.take().then(
          (snapshot) => histories.sample(snapshot),
          () => undefined,
        ),
      HISTORY_INTERVAL_MS,
    );
  }

  /** The address and port bound (the port the system chose for 0). */
  get address(): ListenAddress {
    const { address, port } = this.#http.address() as AddressInfo;
    return { address, port };
  }

  /** Stops sampling and listening; open connections (a polling page) are cut. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      clearInterval(this.#sampler);
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
    return this.#closing;
  }
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

/** OpenMetrics when the scraper lists it (Prometheus does), else the Prometheus text format. */
function negotiate(request: IncomingMessage): MetricsFormat {
  return /application\/openmetrics-text/i.test(request.headers.accept ?? '')
    ? 'openmetrics'
    : 'prometheus';
}

type Routes = Record<string, (request: IncomingMessage) => Promise<Reply>>;

async function answer(
  routes: Routes | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const route = routes !== undefined && Object.hasOwn(routes, path) ? routes[path] : undefined;
  let reply: Reply;
  if (routes === undefined) {
    reply = text(503, 'the daemon is starting\n');
  } else if (route === undefined) {
    reply = text(404, `no such page: ${path} (try /, /metrics or /status.json)\n`);
  } else if (request.method !== 'GET' && request.method !== 'HEAD') {
    reply = text(405, `${request.method} is not allowed: GET ${path}\n`);
    response.setHeader('allow', 'GET, HEAD');
  } else {
    // The engine's stats fail only once the daemon is going down.
    reply = await route(request).catch(() => text(503, 'the daemon is stopping\n'));
  }
  response.writeHead(reply.status, {
    ...reply.headers,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

function text(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
