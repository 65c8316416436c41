import type { StreamFormats } from '@syfala/proto';

/** The server's UDP port: discovery beacons, UDP control and audio. */
export const DEFAULT_UDP_PORT = 6910;
/** The server's TCP control port. */
export const DEFAULT_CONTROL_PORT = 6911;
/** Administratively scoped multicast group that clients send discovery beacons to. */
export const DEFAULT_DISCOVERY_GROUP = '239.255.69.10';
/** DNS-SD service type servers publish. */
export const MDNS_SERVICE_TYPE = 'syfala';

/** A server as discovery knows it: where to reach it and what it offers. */
export interface Endpoint {
  /** 128-bit endpoint id, lowercase 8-4-4-4-12 hex. */
  readonly id: string;
  readonly name: string;
  /** IP address the endpoint was seen at. */
  readonly host: string;
  /** UDP port: discovery, UDP control and audio. */
  readonly udpPort: number;
  /** TCP control port; 0 when the endpoint speaks UDP control only. */
  readonly controlPort: number;
  /** Highest wire protocol version the endpoint speaks. */
  readonly protocolVersion: number;
  /** Stream formats, when the discovery method carried them. */
  readonly formats?: StreamFormats;
  /** How this endpoint was found; both when both methods saw it. */
  readonly via: readonly DiscoveryMethod[];
}

export type DiscoveryMethod = 'beacon' | 'mdns';

export type EndpointEvent =
  | { readonly type: 'added' | 'updated'; readonly endpoint: Endpoint }
  | {
      readonly type: 'removed';
      readonly endpoint: Endpoint;
      readonly reason: 'goodbye' | 'expired';
    };
