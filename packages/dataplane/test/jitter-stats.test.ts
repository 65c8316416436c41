import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { makeFormat } from '@syfala/proto';

import { JitterBuffer } from '../src/index.js';
import {
  GENERATED,
  HEADER,
  jitterStatsFields,
  jitterStatsModule,
} from '../scripts/jitter-stats.js';

describe('the jitter buffer statistics, written once in jitter_stats_fields.hpp', () => {
  it('generate src/jitter-stats.generated.ts as it is committed', () => {
    expect(
      readFileSync(GENERATED, 'utf8'),
      'src/jitter-stats.generated.ts is stale: run `pnpm --filter @syfala/dataplane generate:jitter-stats`',
    ).toBe(jitterStatsModule(readFileSync(HEADER, 'utf8')));
  });

  it("are what a buffer's stats() reports, in the header's order", () => {
    const format = makeFormat(
      { sampleType: 'i16', channels: 1, sampleRate: 8, bufferFrames: 0 },
      'any',
    );
    const stats = new JitterBuffer({ format, capacityFrames: 8, targetLatencyFrames: 2 }).stats();
    const names = jitterStatsFields(readFileSync(HEADER, 'utf8')).map((field) => field.tsName);
    expect(Object.keys(stats)).toEqual(names);
  });

  it('refuse a TS name that is not the camelCase of the C++ one', () => {
    const header = '  /** Runs. */ \\\n  STORED(late_runs, lateRun) \\\n';
    expect(() => jitterStatsFields(header)).toThrow(
      'jitter_stats_fields.hpp: late_runs must be spelled lateRuns in TS, got lateRun',
    );
  });
});
