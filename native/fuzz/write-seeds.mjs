// Writes every datagram of wire.json (valid and invalid) as one file each: the seed corpus of
// `make fuzz`. Usage: node fuzz/write-seeds.mjs <wire.json> <directory>
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const [vectorsPath, directory] = process.argv.slice(2);
const { valid, invalid } = JSON.parse(readFileSync(vectorsPath, 'utf8'));
mkdirSync(directory, { recursive: true });
[...valid, ...invalid].forEach((vector, i) => {
  writeFileSync(`${directory}/wire-${String(i).padStart(2, '0')}`, Buffer.from(vector.hex, 'hex'));
});
