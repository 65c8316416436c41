/**
 * What encrypted audio (docs/SECURITY.md) costs the TS data plane: the CPU of one AUDE sealed
 * and opened (Node's ChaCha20-Poly1305), then bench/ts-channels.ts's stream of N f32 48 kHz
 * channels between two engines over loopback, clear and encrypted in turn, `--runs` times each.
 *
 *   bash scripts/pnpm.sh exec tsx bench/ts-encryption.ts [--runs 3] [channels...]   (default 2 64)
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openAudio, sealAudio, sealAudioInPlace } from '@syfala/proto';
import { streamChannels, type StreamSecurity } from './ts-channels.js';

const OPS = 20_000;

/** Microseconds per seal and per open of a `payloadBytes` run. */
function perDatagram(payloadBytes: number): { sealUs: number; openUs: number } {
  const key = createSecretKey(randomBytes(32));
  const payload = randomBytes(payloadBytes);
  const datagram = sealAudio(key, 'client-to-server', {
    streamIndex: 0,
    byteIndex: 0,
    copy: 0,
    keyId: 0,
    payload,
  });
  const scratch = new Uint8Array(datagram.length);
  const time = (fn: () => void): number => {
    for (let i = 0; i < 1000; i++) fn();
    const start = performance.now();
    for (let i = 0; i < OPS; i++) fn();
    return ((performance.now() - start) * 1000) / OPS;
  };
  return {
    sealUs: time(() => {
      scratch.set(datagram);
      sealAudioInPlace(key, 'client-to-server', 0, scratch, scratch.length);
    }),
    openUs: time(() => openAudio(key, 'client-to-server', datagram)),
  };
}

function security(): StreamSecurity {
  const [c2s, s2c] = [randomBytes(32), randomBytes(32)];
  return {
    sender: {
      sendDirection: 'client-to-server',
      sendSecret: c2s,
      receiveSecret: s2c,
      firstKeyId: 0,
    },
    receiver: {
      sendDirection: 'server-to-client',
      sendSecret: s2c,
      receiveSecret: c2s,
      firstKeyId: 0,
    },
  };
}

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '3' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const counts = positionals.length > 0 ? positionals.map(Number) : [2, 64];

console.log(`node ${process.version}; per datagram, ${OPS} each:`);
for (const bytes of [256, 1352]) {
  const { sealUs, openUs } = perDatagram(bytes);
  console.log(
    `  ${bytes}-byte payload: seal ${sealUs.toFixed(1)} µs, open ${openUs.toFixed(1)} µs`,
  );
}
console.log('channels | encrypted | lost frames | underruns | xruns | authFailed | CPU (s/s)');
for (const channels of counts) {
  for (let run = 0; run < runs; run++) {
    for (const encrypted of [false, true]) {
      const row = await streamChannels(channels, encrypted ? security() : undefined);
      console.log(
        `${channels} | ${encrypted} | ${row.lostFrames} | ${row.underruns} | ${row.xruns} | ${row.authFailed} | ${row.cpuLoad.toFixed(3)}`,
      );
    }
  }
}
