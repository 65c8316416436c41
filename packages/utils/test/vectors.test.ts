import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { SAMPLE_TYPES } from '@syfala/proto';

import { jitterScenarios } from '../scripts/jitter-scenarios.js';
import { sampleVectors } from '../scripts/sample-vectors.js';
import { vectorFileText } from '../scripts/vector-json.js';

const vectorFile = (name: string): string =>
  readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8');

// The native core's tests take these files as the truth about the TS path, so they must be
// exactly what the TS code gives today: regenerate with `pnpm --filter @syfala/utils generate:vectors`.
describe('vector files shared with the native tests', () => {
  it('samples.json is what the TS sample conversion gives', () => {
    expect(vectorFile('samples.json')).toBe(vectorFileText(sampleVectors()));
  });

  it('jitter-scenarios.json is what the TS packetizer and jitter buffer give', () => {
    expect(vectorFile('jitter-scenarios.json')).toBe(vectorFileText(jitterScenarios()));
  });

  it('samples.json covers every sample type', () => {
    const { types } = JSON.parse(vectorFile('samples.json')) as { types: { type: string }[] };
    expect(types.map((t) => t.type)).toEqual([...SAMPLE_TYPES]);
  });

  it('the scenarios reach every jitter buffer counter', () => {
    const { statsFields, scenarios } = JSON.parse(vectorFile('jitter-scenarios.json')) as {
      statsFields: string[];
      scenarios: { finalStats: number[] }[];
    };
    const reached = statsFields.filter((_, i) => scenarios.some((s) => s.finalStats[i]! > 0));
    expect(reached).toEqual(statsFields);
  });
});
