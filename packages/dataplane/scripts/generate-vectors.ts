/**
 * Writes vectors/samples.json, jitter-scenarios.json, latency-adapter.json, concealment.json,
 * drift.json and packetizer.json by running seeded scenarios through the data plane core (the
 * C++ of native/src/core, through @syfala/dataplane's WebAssembly build). They are regression
 * fixtures (docs/ARCHITECTURE.md §2): the native build's tests (native/test) and the WebAssembly
 * build's (test/vectors.test.ts) replay them, so both compilers must agree, and a change to what
 * the core does shows as a diff here. Regenerate only after a deliberate change, and review it.
 * Run: pnpm --filter @syfala/dataplane generate:vectors
 */
import { writeFileSync } from 'node:fs';

import { concealmentVectors } from './concealment-vectors.js';
import { driftVectors } from './drift-vectors.js';
import { jitterScenarios } from './jitter-scenarios.js';
import { latencyAdapterVectors } from './latency-adapter-vectors.js';
import { packetizerVectors } from './packetizer-vectors.js';
import { sampleVectors } from './sample-vectors.js';
import { vectorFileText } from './vector-json.js';

for (const [file, content] of [
  ['samples.json', sampleVectors()],
  ['jitter-scenarios.json', jitterScenarios()],
  ['latency-adapter.json', latencyAdapterVectors()],
  ['concealment.json', concealmentVectors()],
  ['drift.json', driftVectors()],
  ['packetizer.json', packetizerVectors()],
] as const) {
  const text = vectorFileText(content);
  writeFileSync(new URL(`../vectors/${file}`, import.meta.url), text);
  console.log(`wrote vectors/${file} (${Math.round(text.length / 1024)} KB)`);
}
