/**
 * Writes vectors/samples.json and vectors/jitter-scenarios.json from the TS sample conversion,
 * packetizer and jitter buffer: the reference the native core's tests compare against.
 * test/vectors.test.ts fails when a file no longer matches the code.
 * Run: pnpm --filter @syfala/utils generate:vectors
 */
import { writeFileSync } from 'node:fs';

import { jitterScenarios } from './jitter-scenarios.js';
import { sampleVectors } from './sample-vectors.js';
import { vectorFileText } from './vector-json.js';

for (const [file, content] of [
  ['samples.json', sampleVectors()],
  ['jitter-scenarios.json', jitterScenarios()],
] as const) {
  const text = vectorFileText(content);
  writeFileSync(new URL(`../vectors/${file}`, import.meta.url), text);
  console.log(`wrote vectors/${file} (${Math.round(text.length / 1024)} KB)`);
}
