/**
 * Audio header throughput: the allocation-free path (writeAudioHeader + readAudioHeader on one
 * reused buffer and header object) against the general message codec (encode + decodeMessage,
 * which allocates a buffer and a message per packet), measured in the same run.
 */
import {
  AUDIO_HEADER_BYTES,
  createAudioHeader,
  decodeMessage,
  encode,
  readAudioHeader,
  writeAudioHeader,
} from '@syfala/proto';
import { medianRate } from './measure.js';

const PACKETS = 1_000_000;
const PAYLOAD_BYTES = 256; // one 32-frame f32 stereo period

export interface WireBenchRow {
  path: string;
  headersPerSecond: number;
}

export function runWireBench(): WireBenchRow[] {
  const datagram = new Uint8Array(AUDIO_HEADER_BYTES + PAYLOAD_BYTES);
  const header = createAudioHeader();
  let checksum = 0;

  const hotPath = medianRate(() => {
    for (let i = 0; i < PACKETS; i++) {
      writeAudioHeader(datagram, 0, i & 7, i * PAYLOAD_BYTES, PAYLOAD_BYTES);
      checksum += readAudioHeader(datagram, header).byteIndex;
    }
    return PACKETS;
  });

  // Decode alone, on datagrams written beforehand: what a receive loop pays per packet.
  const written = Array.from({ length: 64 }, (_, i) => {
    const d = new Uint8Array(AUDIO_HEADER_BYTES + PAYLOAD_BYTES);
    writeAudioHeader(d, 0, i & 7, i * PAYLOAD_BYTES, PAYLOAD_BYTES);
    return d;
  });
  const decodeOnly = medianRate(() => {
    for (let i = 0; i < PACKETS; i++)
      checksum += readAudioHeader(written[i & 63]!, header).byteIndex;
    return PACKETS;
  });

  const payload = new Uint8Array(PAYLOAD_BYTES);
  const generalPackets = PACKETS / 10;
  const general = medianRate(() => {
    for (let i = 0; i < generalPackets; i++) {
      const bytes = encode({
        type: 'audio',
        streamIndex: i & 7,
        byteIndex: i * PAYLOAD_BYTES,
        payload,
      });
      const message = decodeMessage(bytes, 'client');
      if (message.type === 'audio') checksum += message.byteIndex;
    }
    return generalPackets;
  });

  if (checksum < 0) console.log(checksum); // keeps the loops observable
  return [
    { path: 'readAudioHeader alone (reused header object)', headersPerSecond: decodeOnly },
    { path: 'writeAudioHeader + readAudioHeader (reused buffers)', headersPerSecond: hotPath },
    { path: 'encode + decodeMessage (allocating)', headersPerSecond: general },
  ];
}
