import { isIPv4, isIPv6 } from 'node:net';
import { ValueError, mustBe } from './errors.js';

/** A host (an IPv4 address, a host name, or an IPv6 address without its brackets) and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface HostPortOptions {
  /** The port when the text gives none; without it, `:PORT` is required. */
  readonly defaultPort?: number;
  /** The lowest port taken: 1 (the default) where a peer is named, 0 where a listener picks one. */
  readonly minPort?: number;
}

const PORT_MAX = 65_535;
const HOST_NAME_MAX = 253;
/** RFC 1123 labels: letters, digits and inner hyphens, up to 63 characters each. */
const HOST_NAME = /^[a-z\d]([a-z\d-]{0,61}[a-z\d])?(\.[a-z\d]([a-z\d-]{0,61}[a-z\d])?)*$/i;
/** `[host]` or `host`, then `:port` or nothing. The host may not hold a bare colon (IPv6). */
const HOST_PORT = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d{1,5}))?$/;

/**
 * Parses `HOST:PORT`, the one grammar for where a peer or listener is: an IPv4 address
 * (192.0.2.1:6910), a host name (studio.local:6910) or an IPv6 address in brackets ([::1]:6910).
 * With `defaultPort`, `:PORT` may be left out. A host of digits and dots must be an IPv4 address
 * (no top-level domain is all digits). Whether a host name is acceptable is the caller's rule.
 * Throws a ValueError (`BAD_ADDRESS`) that names `what` and quotes `text`.
 */
export function parseHostPort(text: string, what: string, options: HostPortOptions = {}): HostPort {
  const { defaultPort, minPort = 1 } = options;
  const match = HOST_PORT.exec(text);
  const [, bracketed, plain, portText] = match ?? [];
  const port = portText === undefined ? defaultPort : Number(portText);
  const host = bracketed ?? plain ?? '';
  const hostOk =
    bracketed !== undefined
      ? isIPv6(bracketed)
      : /^[\d.]+$/.test(host)
        ? isIPv4(host)
        : host.length <= HOST_NAME_MAX && HOST_NAME.test(host);
  if (!hostOk || port === undefined || port < minPort || port > PORT_MAX) {
    const optional = defaultPort === undefined ? ':PORT' : '[:PORT]';
    throw new ValueError(
      'BAD_ADDRESS',
      mustBe(
        what,
        `HOST${optional} (an IPv4 address, a host name or an [IPv6] address, then a port from ${minPort} to ${PORT_MAX})`,
        text,
      ),
    );
  }
  return { host, port };
}
