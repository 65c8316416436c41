import type { Socket } from 'node:dgram';
import { ValueError } from '@syfala/proto';
import { DEFAULT_DISCOVERY_GROUP } from '../endpoint.js';
import { NetworkError } from '../errors.js';
import { checkIPv4, ipv4InterfaceAddresses } from './options.js';

export interface DiscoveryGroupOptions {
  /** The multicast group clients beacon to. Default DEFAULT_DISCOVERY_GROUP. */
  readonly group?: string;
  /** IPv4 addresses of the interfaces to join on. Default: the first IPv4 address of each one. */
  readonly interfaces?: readonly string[];
}

/**
 * For servers: makes a bound UDP socket receive the multicast DSCV beacons clients send to the
 * discovery group. The socket must be bound to 0.0.0.0 (or to the group address): on Linux a
 * socket bound to an interface address never receives group traffic. Call it again when
 * interfaces come up; joining twice is harmless. Returns the interface addresses now joined;
 * throws NetworkError (BAD_OPTION for a socket bound to a unicast address, BIND_FAILED when no
 * interface could be joined) and ValueError for a bad option.
 */
export function joinDiscoveryGroup(socket: Socket, options: DiscoveryGroupOptions = {}): string[] {
  const group = checkIPv4(options.group ?? DEFAULT_DISCOVERY_GROUP, 'group');
  const firstOctet = Number(group.split('.')[0]);
  if (firstOctet < 224 || firstOctet > 239) {
    throw new ValueError(
      'BAD_FIELD',
      `group: expected a multicast address (224.0.0.0/4), got ${group}`,
    );
  }
  const interfaces = (options.interfaces ?? ipv4InterfaceAddresses()).map((address) =>
    checkIPv4(address, 'interfaces'),
  );
  let bound: string;
  try {
    bound = socket.address().address;
  } catch (error) {
    throw new NetworkError('BAD_OPTION', 'discovery group: bind the socket first', {
      cause: error,
    });
  }
  if (bound !== '0.0.0.0' && bound !== group) {
    throw new NetworkError(
      'BAD_OPTION',
      `discovery group: the socket is bound to ${bound}, which receives no multicast; bind 0.0.0.0`,
    );
  }
  const joined: string[] = [];
  const failures: string[] = [];
  for (const address of interfaces) {
    try {
      socket.addMembership(group, address);
      joined.push(address);
    } catch (error) {
      // EADDRINUSE: this socket is already a member on that interface.
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') joined.push(address);
      else failures.push(`${address}: ${(error as Error).message}`);
    }
  }
  if (joined.length === 0) {
    throw new NetworkError(
      'BIND_FAILED',
      `discovery group: could not join ${group} on any interface (${failures.join('; ') || 'none given'})`,
    );
  }
  return joined;
}
