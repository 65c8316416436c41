import { formatsEqual, type Format, type StreamFormats } from '@syfala/proto';
import type { DiscoveryMethod, Endpoint, EndpointEvent } from '../endpoint.js';

/** Why a discovery method stopped seeing an endpoint. */
export type RemovalReason = Extract<EndpointEvent, { type: 'removed' }>['reason'];

/** What a discovery method tells the table: each method reports one view per endpoint id. */
export interface EndpointSink {
  seen(method: DiscoveryMethod, endpoint: Endpoint): void;
  lost(method: DiscoveryMethod, id: string, reason: RemovalReason): void;
}

/** Beacons first: a CONN is the server's own offer, from the address that answers on UDP. */
const PRECEDENCE: readonly DiscoveryMethod[] = ['beacon', 'mdns'];

/**
 * Merges the methods' views into one endpoint per id (docs/DISCOVERY.md §4): the first view of an
 * id is 'added'; any change of the merged endpoint is 'updated'; the id is 'removed' when the last
 * method that saw it loses it, with that method's reason.
 */
export class EndpointTable implements EndpointSink {
  readonly #entries = new Map<
    string,
    { views: Map<DiscoveryMethod, Endpoint>; merged: Endpoint }
  >();
  readonly #emit: (event: EndpointEvent) => void;

  constructor(emit: (event: EndpointEvent) => void) {
    this.#emit = emit;
  }

  seen(method: DiscoveryMethod, endpoint: Endpoint): void {
    const entry = this.#entries.get(endpoint.id);
    if (entry === undefined) {
      const views = new Map([[method, endpoint]]);
      const merged = merge(views);
      this.#entries.set(endpoint.id, { views, merged });
      this.#emit({ type: 'added', endpoint: merged });
      return;
    }
    entry.views.set(method, endpoint);
    this.#update(entry);
  }

  lost(method: DiscoveryMethod, id: string, reason: RemovalReason): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || !entry.views.delete(method)) return;
    if (entry.views.size > 0) {
      this.#update(entry);
      return;
    }
    this.#entries.delete(id);
    this.#emit({ type: 'removed', endpoint: entry.merged, reason });
  }

  /** The merged endpoints, in the order they were first seen. */
  endpoints(): Endpoint[] {
    return Array.from(this.#entries.values(), (entry) => entry.merged);
  }

  /** Forgets everything without events (nobody is listening any more). */
  clear(): void {
    this.#entries.clear();
  }

  #update(entry: { views: Map<DiscoveryMethod, Endpoint>; merged: Endpoint }): void {
    const merged = merge(entry.views);
    if (endpointsEqual(merged, entry.merged)) return;
    entry.merged = merged;
    this.#emit({ type: 'updated', endpoint: merged });
  }
}

/** Fields from the highest-precedence view; formats from the first view that has them. */
function merge(views: ReadonlyMap<DiscoveryMethod, Endpoint>): Endpoint {
  const present = PRECEDENCE.flatMap((method) => {
    const view = views.get(method);
    return view === undefined ? [] : [view];
  });
  const primary = present[0]!;
  const formats = present.find((view) => view.formats !== undefined)?.formats;
  const { id, name, host, udpPort, controlPort, protocolVersion } = primary;
  const via = PRECEDENCE.filter((method) => views.has(method));
  const endpoint = { id, name, host, udpPort, controlPort, protocolVersion, via };
  return formats === undefined ? endpoint : { ...endpoint, formats };
}

export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.host === b.host &&
    a.udpPort === b.udpPort &&
    a.controlPort === b.controlPort &&
    a.protocolVersion === b.protocolVersion &&
    a.via.length === b.via.length &&
    a.via.every((method, i) => method === b.via[i]) &&
    streamFormatsEqual(a.formats, b.formats)
  );
}

function streamFormatsEqual(a: StreamFormats | undefined, b: StreamFormats | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return listEqual(a.inputs, b.inputs) && listEqual(a.outputs, b.outputs);
}

function listEqual(a: readonly Format[], b: readonly Format[]): boolean {
  return a.length === b.length && a.every((format, i) => formatsEqual(format, b[i]!));
}
