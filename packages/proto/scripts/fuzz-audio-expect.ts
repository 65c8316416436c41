/**
 * Prints the audio-header fuzz target's datagrams with the TS reader's verdict, one `CODE HEX`
 * line each (a DecodeError code, or NONE when accepted), then `END count`, for the C++ reader to
 * replay: make -C native fuzz-crosscheck RUNS=1000000 SEED=7 (native/fuzz/fuzz_audio_header.cpp).
 *
 *   bash scripts/pnpm.sh exec tsx packages/proto/scripts/fuzz-audio-expect.ts --inputs N --seed S
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { DecodeError, SeededRandom, createAudioHeader, readAudioHeader } from '../src/index.js';
import { toHex } from './fuzz/values.js';
import { hostileDatagram, wireDonors } from './fuzz/wire-inputs.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
  },
});
const inputs = Number(values.inputs);
const seed = Number(values.seed);

function verdict(datagram: Uint8Array): string {
  try {
    readAudioHeader(datagram, createAudioHeader());
    return 'NONE';
  } catch (error) {
    if (error instanceof DecodeError) return error.code;
    throw error;
  }
}

// Keyed as the audio-header target, so these are its datagrams (without the surrounding bytes).
const donors = wireDonors(new SeededRandom(seed, 'audio-header'));
// The reader stops early on a disagreement: that is its verdict, not an error here.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
let batch = '';
for (let index = 0; index < inputs; index++) {
  const datagram = hostileDatagram(new SeededRandom(seed, 'audio-header', index), donors, 'audio');
  batch += `${verdict(datagram)} ${toHex(datagram) || '-'}\n`;
  if (batch.length > 1 << 20 || index === inputs - 1) {
    // A pipe's writes are queued, not blocking: wait for the reader, or memory fills up.
    if (!process.stdout.write(batch)) await once(process.stdout, 'drain');
    batch = '';
  }
}
// The count, so that the reader can tell a complete run from one cut short.
process.stdout.write(`END ${inputs}\n`);
