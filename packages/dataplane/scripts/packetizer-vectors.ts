/**
 * The content of vectors/packetizer.json: StreamPacketizer runs with redundancy 0 to 3, clear
 * (AUDI) and sealed (AUDE: 48 bytes of header and tag within the budget), recording for every
 * period each datagram's byte index, byte count, copy (PROTOCOL.md §7.3: p − q, the nonce's
 * copy in docs/SECURITY.md §3) and whole size. The native packetizer must cut and number alike.
 */
import {
  bytesPerFrame,
  createAudioHeader,
  createSealedAudioHeader,
  makeFormat,
  readAudioHeader,
  readSealedAudioHeader,
} from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { StreamPacketizer } from '../src/index.js';

interface Scenario {
  readonly name: string;
  readonly sampleType: SampleType;
  readonly channels: number;
  readonly datagramBudgetBytes: number;
  readonly redundancy: number;
  readonly sealed: boolean;
  /** Bytes handed over per period: whole frames mostly, some empty, some ending inside a frame. */
  readonly periods: readonly number[];
}

const STEREO_32 = [256, 256, 256, 0, 256, 256, 256];
const UNEVEN = [30, 0, 102, 240, 18, 6, 0, 60, 9, 240];

const scenarios: Scenario[] = [
  ...[0, 1, 2, 3].flatMap((redundancy) =>
    [false, true].map((sealed): Scenario => ({
      name: `f32 stereo, 32-frame periods, redundancy ${redundancy}${sealed ? ', sealed' : ''}`,
      sampleType: 'f32',
      channels: 2,
      datagramBudgetBytes: 1400,
      redundancy,
      sealed,
      periods: STEREO_32,
    })),
  ),
  ...[2, 3].flatMap((redundancy) =>
    [false, true].map((sealed): Scenario => ({
      name: `i24 stereo, 100 payload bytes a datagram, uneven periods, redundancy ${redundancy}${sealed ? ', sealed' : ''}`,
      sampleType: 'i24',
      channels: 2,
      datagramBudgetBytes: (sealed ? 48 : 24) + 100,
      redundancy,
      sealed,
      periods: UNEVEN,
    })),
  ),
  {
    name: 'f32 stereo, 1,024-frame periods cut in 1,400-byte datagrams, redundancy 1, sealed',
    sampleType: 'f32',
    channels: 2,
    datagramBudgetBytes: 1400,
    redundancy: 1,
    sealed: true,
    periods: [8192, 8192, 8192],
  },
];

/** A period's datagrams: [byteIndex, byteCount, copy, datagramBytes] each. */
type Datagram = [number, number, number, number];

export function packetizerVectors(): object {
  return {
    description:
      'StreamPacketizer runs (packages/dataplane/src/packetizer.ts). For each scenario, packetize each of periods (a byte count) in turn; the datagrams of a period, in order, are [byteIndex, byteCount, copy, datagramBytes]: byteCount payload bytes, copy = p − q (PROTOCOL.md §7.3), datagramBytes the whole datagram (header 24 for AUDI, 32 + tag 16 for sealed AUDE), within datagramBudgetBytes. maxPeriodBytes sizes the redundancy history.',
    scenarios: scenarios.map((scenario) => {
      const format = makeFormat(
        {
          sampleType: scenario.sampleType,
          channels: scenario.channels,
          sampleRate: 48_000,
          bufferFrames: 0,
        },
        'any',
      );
      const maxPeriodBytes = Math.max(...scenario.periods);
      const packetizer = new StreamPacketizer({
        streamIndex: 1,
        format,
        datagramBudgetBytes: scenario.datagramBudgetBytes,
        redundancy: scenario.redundancy,
        maxPeriodBytes,
        sealed: scenario.sealed,
      });
      const clear = createAudioHeader();
      const sealed = createSealedAudioHeader();
      const periods = scenario.periods.map((bytes) => {
        const datagrams: Datagram[] = [];
        packetizer.packetize(new Uint8Array(bytes), 0, bytes, {
          claim: (length) => new Uint8Array(length),
          send: (datagram, length, copy) => {
            const h = scenario.sealed
              ? readSealedAudioHeader(datagram, sealed, 0, length)
              : readAudioHeader(datagram, clear, 0, length);
            datagrams.push([h.byteIndex, h.byteCount, copy, length]);
          },
        });
        return { bytes, datagrams };
      });
      return {
        ...scenario,
        bytesPerFrame: bytesPerFrame(format),
        maxPeriodBytes,
        periods,
      };
    }),
  };
}
