import { DECODE_ERROR_CODES, type DecodeErrorCode } from '@syfala/proto';
import { zeroCounts } from '../counts.js';

/** Counts by DecodeError code, every code present. */
export type RejectCounts = Readonly<Record<DecodeErrorCode, number>>;

/** What the beacon side of a discovery counted since the Discovery was created. */
export interface BeaconStats {
  /** DSCV beacons handed to the network. */
  readonly sent: number;
  /** Valid CONN answers. */
  readonly offers: number;
  /** Valid datagrams that are not CONN (ignored). */
  readonly ignored: number;
  /** Datagrams that are not valid server messages, by DecodeError code (PROTOCOL.md §8). */
  readonly rejected: RejectCounts;
  /** Failed sends and other socket errors after the socket opened; discovery keeps going. */
  readonly socketErrors: number;
}

/** What the mDNS side of a discovery counted since the Discovery was created. */
export interface MdnsStats {
  /** Queries sent (browsing, resolving, refreshing records before their TTL runs out). */
  readonly queries: number;
  /** mDNS responses received, whatever service they were about. */
  readonly responses: number;
  /** Packets on the mDNS port that are not DNS messages. */
  readonly malformed: number;
  /** `_syfala._udp` instances whose TXT or SRV record broke docs/DISCOVERY.md, by code. */
  readonly rejected: RejectCounts;
  /** Failed sends and other socket errors after the socket opened; discovery keeps going. */
  readonly socketErrors: number;
}

export function zeroRejects(): Record<DecodeErrorCode, number> {
  return zeroCounts(DECODE_ERROR_CODES);
}

/** Mutable beacon counters, owned by the Discovery so they outlive one run of the sockets. */
export class BeaconCounters implements BeaconStats {
  sent = 0;
  offers = 0;
  ignored = 0;
  readonly rejected = zeroRejects();
  socketErrors = 0;

  snapshot(): BeaconStats {
    const { sent, offers, ignored, socketErrors } = this;
    return { sent, offers, ignored, rejected: { ...this.rejected }, socketErrors };
  }
}

/** Mutable mDNS counters, owned by the Discovery so they outlive one run of the sockets. */
export class MdnsCounters implements MdnsStats {
  queries = 0;
  responses = 0;
  malformed = 0;
  readonly rejected = zeroRejects();
  socketErrors = 0;

  snapshot(): MdnsStats {
    const { queries, responses, malformed, socketErrors } = this;
    return { queries, responses, malformed, rejected: { ...this.rejected }, socketErrors };
  }
}
