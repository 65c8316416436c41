/**
 * Writes vectors/aead.json: the encrypted-audio test vectors of docs/SECURITY.md, from the key
 * exchange to sealed datagrams, shared by the TS tests (test/secure/) and the C++ tests of the
 * native core. The values come from @syfala/proto; the TS tests check them against Node's crypto
 * directly. Run: pnpm --filter @syfala/proto generate:aead-vectors
 */
import { writeFileSync } from 'node:fs';
import {
  KeyShare,
  audioNonce,
  deriveAudioKey,
  deriveAudioSecrets,
  handshakeTranscript,
  makeFormat,
  sealAudio,
  transcriptFormats,
  type AudioDirection,
  type StreamFormats,
} from '../src/index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

// RFC 7748 §6.1's key pairs (Alice as the client, Bob as the server): the shares and the shared
// secret below must be the RFC's, which checks the X25519 of whoever reads this file.
const clientPrivate = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const serverPrivate = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const client = new KeyShare(clientPrivate);
const server = new KeyShare(serverPrivate);
const shared = client.sharedSecret(server.share);

/** Shares X25519 maps to the all-zero secret (low-order points): a handshake refuses them. */
const lowOrderShares = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

const CLIENT_ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0';
const ENDPOINT_ID = '5f1a0c3e-9b2d-4e6f-8a71-c0ffee000001';
const formats: StreamFormats = {
  inputs: [makeFormat({ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 })],
  outputs: [
    makeFormat({ sampleType: 'i24', sampleRate: 44_100, channels: 8, bufferFrames: 64 }),
    makeFormat({ sampleType: 'f64', sampleRate: 96_000, channels: 1, bufferFrames: 0 }),
  ],
};
const context = {
  clientId: CLIENT_ID,
  endpointId: ENDPOINT_ID,
  clientShare: client.share,
  serverShare: server.share,
  formats,
};
const transcript = handshakeTranscript(context);
const psk = new Uint8Array(Buffer.from('correct horse battery staple', 'utf8'));
const withPsk = deriveAudioSecrets(shared, psk, transcript);
const withoutPsk = deriveAudioSecrets(shared, undefined, transcript);

const KEY_IDS = [0, 1, 65_536, 2 ** 32 - 1];
const keys = [
  ['with psk, client-to-server', withPsk.clientToServer],
  ['with psk, server-to-client', withPsk.serverToClient],
  ['without psk, client-to-server', withoutPsk.clientToServer],
] as const;

const DIRECTIONS: AudioDirection[] = ['client-to-server', 'server-to-client'];
const nonces = DIRECTIONS.flatMap((direction) =>
  [0, 1, 2, 3].flatMap((copy) =>
    [
      [0, 0],
      [7, 1_376],
      [0xffff_ffff, 2 ** 53 - 8],
    ].map(([streamIndex, byteIndex]) => ({
      direction,
      streamIndex: streamIndex!,
      byteIndex: byteIndex!,
      copy,
      nonce: hex(audioNonce(direction, streamIndex!, byteIndex!, copy)),
    })),
  ),
);

const secretOf = (direction: AudioDirection): Uint8Array =>
  direction === 'client-to-server' ? withPsk.clientToServer : withPsk.serverToClient;
/** Bytes 0, 1, 2, …: any reader can rebuild a long payload from its length. */
const counting = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i & 0xff);
const stereo = new Uint8Array(new Float32Array([0.5, -0.5, 0.25, -0.25]).buffer);

interface SealedCase {
  name: string;
  direction: AudioDirection;
  streamIndex: number;
  byteIndex: number;
  copy: number;
  keyId: number;
  plaintext: Uint8Array;
}

const cases: SealedCase[] = [
  {
    name: 'one byte',
    direction: 'client-to-server',
    streamIndex: 0,
    byteIndex: 0,
    copy: 0,
    keyId: 0,
    plaintext: Uint8Array.of(0x2a),
  },
  {
    name: 'two f32 stereo frames',
    direction: 'server-to-client',
    streamIndex: 0,
    byteIndex: 256,
    copy: 0,
    keyId: 0,
    plaintext: stereo,
  },
  {
    name: 'the same frames as a redundancy copy (copy 2)',
    direction: 'server-to-client',
    streamIndex: 0,
    byteIndex: 256,
    copy: 2,
    keyId: 0,
    plaintext: stereo,
  },
  {
    name: 'a rotated key id',
    direction: 'client-to-server',
    streamIndex: 1,
    byteIndex: 1_000_000,
    copy: 0,
    keyId: 1,
    plaintext: counting(64),
  },
  {
    name: 'the second I/O run, copy 3',
    direction: 'client-to-server',
    streamIndex: 2,
    byteIndex: 512,
    copy: 3,
    keyId: 65_536,
    plaintext: counting(256),
  },
  {
    name: 'a full 1400-byte datagram near 2^53',
    direction: 'server-to-client',
    streamIndex: 0xffff_ffff,
    byteIndex: 2 ** 53 - 1_353,
    copy: 1,
    keyId: 2 ** 32 - 1,
    plaintext: counting(1_352),
  },
];

const sealed = cases.map((c) => {
  const key = deriveAudioKey(secretOf(c.direction), c.keyId);
  const datagram = sealAudio(key, c.direction, { ...c, payload: c.plaintext });
  return {
    name: c.name,
    direction: c.direction,
    key: hex(key),
    streamIndex: c.streamIndex,
    byteIndex: c.byteIndex,
    copy: c.copy,
    keyId: c.keyId,
    nonce: hex(audioNonce(c.direction, c.streamIndex, c.byteIndex, c.copy)),
    plaintext: hex(c.plaintext),
    datagram: hex(datagram),
  };
});

/** Flips bit 0 of byte `at` of a sealed vector's datagram (negative: from the end). */
function flipped(name: string, at: number): string {
  const bytes = fromHex(sealed.find((v) => v.name === name)!.datagram);
  bytes[at < 0 ? bytes.length + at : at]! ^= 1;
  return hex(bytes);
}

const base = sealed[3]!; // a rotated key id, client-to-server, key id 1
const tampered = [
  {
    name: 'flipped stream index byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, 8),
  },
  {
    name: 'flipped byte index byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, 12),
  },
  {
    name: 'flipped key id byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, 24),
  },
  {
    name: 'flipped copy (0 → 1)',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, 28),
  },
  {
    name: 'flipped first ciphertext byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, 32),
  },
  {
    name: 'flipped last ciphertext byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, -17),
  },
  {
    name: 'flipped first tag byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, -16),
  },
  {
    name: 'flipped last tag byte',
    direction: base.direction,
    key: base.key,
    datagram: flipped(base.name, -1),
  },
  {
    name: 'opened with the key of the next key id',
    direction: base.direction,
    key: hex(deriveAudioKey(withPsk.clientToServer, base.keyId + 1)),
    datagram: base.datagram,
  },
  {
    name: 'opened with the key of the same id in the other direction',
    direction: base.direction,
    key: hex(deriveAudioKey(withPsk.serverToClient, base.keyId)),
    datagram: base.datagram,
  },
  {
    name: 'opened as sent the other way (direction in the nonce)',
    direction: 'server-to-client' as AudioDirection,
    key: base.key,
    datagram: base.datagram,
  },
  {
    name: 'opened with the key derived without the pre-shared key',
    direction: base.direction,
    key: hex(deriveAudioKey(withoutPsk.clientToServer, base.keyId)),
    datagram: base.datagram,
  },
];

const file = {
  description: [
    'Syfala encrypted-audio test vectors (docs/SECURITY.md; AUDE layout in docs/PROTOCOL.md §5.13). All byte strings are lowercase hex; integers are JSON numbers (below 2^53).',
    'x25519: RFC 7748 §6.1 key pairs: X25519(clientPrivate, serverShare) = X25519(serverPrivate, clientShare) = shared; each of lowOrderShares gives the all-zero secret and must be refused.',
    'transcript: clientId and endpointId as 8-4-4-4-12 ids (16 bytes on the wire), the shares of x25519, formats as in a Welcome, formatsBytes = their transcript encoding (u16 #inputs, u16 #outputs, per format u8 sample type code, f64 rate, u32 channels, u32 buffer frames), transcript = SHA-256("syfala-audio-v1 transcript" ‖ client id ‖ endpoint id ‖ client share ‖ server share ‖ formatsBytes).',
    'secrets: deriveAudioSecrets(x25519.shared, psk or none, transcript.transcript): psk is hex or null (an empty HKDF salt).',
    'keys: key = HKDF-SHA256(ikm = secret, salt = empty, info = "syfala-audio-v1 key" ‖ u32 LE keyId, 32 bytes).',
    'nonces: u32 LE streamIndex ‖ low 7 bytes of u64 LE byteIndex ‖ u8 (direction << 4 | copy), direction 1 client-to-server, 2 server-to-client.',
    'sealed: ChaCha20-Poly1305 with key and nonce, associated data = the 32-byte AUDE header; datagram is the whole AUDE (header, ciphertext, 16-byte tag); opening it with key in direction gives plaintext.',
    'tampered: valid AUDE datagrams that must fail authentication when opened with key in direction.',
  ].join(' '),
  x25519: {
    clientPrivate: hex(clientPrivate),
    clientShare: hex(client.share),
    serverPrivate: hex(serverPrivate),
    serverShare: hex(server.share),
    shared: hex(shared),
    lowOrderShares,
  },
  transcript: {
    clientId: CLIENT_ID,
    endpointId: ENDPOINT_ID,
    clientShare: hex(client.share),
    serverShare: hex(server.share),
    formats,
    formatsBytes: hex(transcriptFormats(formats)),
    transcript: hex(transcript),
  },
  secrets: [
    {
      name: 'with a pre-shared key',
      psk: hex(psk),
      clientToServer: hex(withPsk.clientToServer),
      serverToClient: hex(withPsk.serverToClient),
    },
    {
      name: 'without a pre-shared key',
      psk: null,
      clientToServer: hex(withoutPsk.clientToServer),
      serverToClient: hex(withoutPsk.serverToClient),
    },
  ],
  keys: keys.flatMap(([name, secret]) =>
    KEY_IDS.map((keyId) => ({
      name,
      secret: hex(secret),
      keyId,
      key: hex(deriveAudioKey(secret, keyId)),
    })),
  ),
  nonces,
  sealed,
  tampered,
};

for (const share of lowOrderShares) {
  let refused = false;
  try {
    client.sharedSecret(fromHex(share));
  } catch {
    refused = true;
  }
  if (!refused) throw new Error(`low-order share ${share} was not refused`);
}

writeFileSync(
  new URL('../vectors/aead.json', import.meta.url),
  JSON.stringify(file, null, 2) + '\n',
);
console.log(
  `wrote ${file.keys.length} keys, ${nonces.length} nonces, ${sealed.length} sealed and ${tampered.length} tampered datagrams`,
);
