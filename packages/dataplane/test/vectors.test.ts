import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { SAMPLE_TYPES } from '@syfala/proto';

import { concealmentVectors } from '../scripts/concealment-vectors.js';
import { driftVectors } from '../scripts/drift-vectors.js';
import { jitterScenarios } from '../scripts/jitter-scenarios.js';
import { latencyAdapterVectors } from '../scripts/latency-adapter-vectors.js';
import { packetizerVectors } from '../scripts/packetizer-vectors.js';
import { sampleVectors } from '../scripts/sample-vectors.js';
import { vectorFileText } from '../scripts/vector-json.js';

const vectorFile = (name: string): string =>
  readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8');

// The native core's tests take these files as the truth about the TS path, so they must be
// exactly what the TS code gives today: regenerate with `pnpm --filter @syfala/dataplane generate:vectors`.
describe('vector files shared with the native tests', () => {
  it('samples.json is what the TS sample conversion gives', () => {
    expect(vectorFile('samples.json')).toBe(vectorFileText(sampleVectors()));
  });

  it('jitter-scenarios.json is what the TS packetizer and jitter buffer give', () => {
    expect(vectorFile('jitter-scenarios.json')).toBe(vectorFileText(jitterScenarios()));
  });

  it('latency-adapter.json is what the TS latency adapter gives', () => {
    expect(vectorFile('latency-adapter.json')).toBe(vectorFileText(latencyAdapterVectors()));
  });

  it('concealment.json is what the TS jitter buffer and loss concealer give', () => {
    expect(vectorFile('concealment.json')).toBe(vectorFileText(concealmentVectors()));
  });

  it('drift.json is what the TS drift controller, resampler and drift-compensated stream give', () => {
    expect(vectorFile('drift.json')).toBe(vectorFileText(driftVectors()));
  });

  it('the drift-compensated stream runs conceal underruns and prime again, resample nominal rates', () => {
    type Op = [string, ...(string | number | boolean)[]];
    const { streams } = JSON.parse(vectorFile('drift.json')) as {
      streams: { sampleRate: number; deviceSampleRate: number; ops: Op[] }[];
    };
    const pulls = streams.flatMap((s) => s.ops.filter((op) => op[0] === 'pull'));
    // [pull, frames, out, playing, underrun, ...]
    expect(pulls.some((op) => op[3] === true && op[4] === true)).toBe(true);
    expect(pulls.some((op) => op[3] === false && op[4] === true)).toBe(true);
    expect(streams.some((s) => s.sampleRate > s.deviceSampleRate)).toBe(true);
    expect(streams.some((s) => s.sampleRate < s.deviceSampleRate)).toBe(true);
  });

  it('packetizer.json is what the TS packetizer gives, copies and sealed budgets included', () => {
    expect(vectorFile('packetizer.json')).toBe(vectorFileText(packetizerVectors()));
  });

  it('packetizer.json reaches every copy, clear and sealed, and runs of several datagrams', () => {
    type Datagram = [number, number, number, number];
    const { scenarios } = JSON.parse(vectorFile('packetizer.json')) as {
      scenarios: { sealed: boolean; periods: { datagrams: Datagram[] }[] }[];
    };
    for (const sealed of [false, true]) {
      const periods = scenarios.filter((s) => s.sealed === sealed).flatMap((s) => s.periods);
      const copies = new Set(periods.flatMap((p) => p.datagrams.map((d) => d[2])));
      expect([...copies].sort()).toEqual([0, 1, 2, 3]);
      expect(periods.some((p) => new Set(p.datagrams.map((d) => d[2])).size > 1)).toBe(true);
    }
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

  it('the latency adapter runs grow, shrink, and reach both bounds of the target', () => {
    type Op = [string, ...(number | boolean)[]];
    const { scenarios } = JSON.parse(vectorFile('latency-adapter.json')) as {
      scenarios: { minTargetFrames: number; maxTargetFrames: number; ops: Op[] }[];
    };
    const seen = { grew: false, shrank: false, atMin: false, atMax: false };
    for (const { minTargetFrames, maxTargetFrames, ops } of scenarios) {
      const targets = ops.map((op) => op.at(-2) as number);
      targets.forEach((target, i) => {
        if (i > 0 && target > targets[i - 1]!) seen.grew = true;
        if (i > 0 && target < targets[i - 1]!) seen.shrank = true;
        // A minimum above the need holds the target within two 1-frame steps of it (1 kHz).
        if (target <= minTargetFrames + 1) seen.atMin = true;
        if (target === maxTargetFrames) seen.atMax = true;
      });
    }
    expect(seen).toEqual({ grew: true, shrank: true, atMin: true, atMax: true });
  });

  it('the concealment scenarios reach every case the C++ must match', () => {
    const { scenarios } = JSON.parse(vectorFile('concealment.json')) as {
      scenarios: {
        channels: number;
        sampleRate: number;
        ops: { op: string; playing?: boolean; skippedFrames?: number; missing?: string }[];
      }[];
    };
    const ops = scenarios.flatMap((s) => s.ops);
    const pulls = ops.filter((o) => o.op === 'pull');
    expect(new Set(scenarios.map((s) => s.channels))).toEqual(new Set([1, 2]));
    expect(scenarios.some((s) => s.sampleRate === 48_000)).toBe(true);
    expect(scenarios.some((s) => s.sampleRate < 48_000)).toBe(true);
    expect(pulls.some((p) => p.playing === true && p.missing!.includes('1'))).toBe(true);
    expect(pulls.some((p) => p.playing === false)).toBe(true);
    expect(pulls.some((p) => p.skippedFrames! > 0)).toBe(true);
    expect(ops.some((o) => o.op === 'reset')).toBe(true);
  });
});
