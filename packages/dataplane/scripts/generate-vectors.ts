/**
 * Writes vectors/samples.json, vectors/jitter-scenarios.json, vectors/latency-adapter.json,
 * vectors/concealment.json, vectors/drift.json and vectors/packetizer.json from the TS sample conversion, packetizer,
 * jitter buffer, latency adapter, loss concealer and drift compensation: the reference the native core's tests compare against.
 * test/vectors.test.ts fails when a file no longer matches the code.
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
