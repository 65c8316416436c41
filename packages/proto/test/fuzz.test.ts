import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_CODES } from '../src/index.js';
import { runFuzz } from '../scripts/fuzz/run.js';
import { REJECT_CODES, TARGETS, type RejectCode } from '../scripts/fuzz/targets.js';

// The generator of scripts/fuzz.ts, for a modest count: the full runs (a million inputs per
// decoder) are by hand. A fixed seed keeps failures reproducible with the script.
const SEED = 7;
const INPUTS = 20_000;

/** The codes each decoder can give, all of which the generator must reach to be hostile enough. */
const CODES: Record<string, readonly RejectCode[]> = {
  'udp-client': DECODE_ERROR_CODES,
  'udp-server': DECODE_ERROR_CODES,
  'audio-header': DECODE_ERROR_CODES,
  'sealed-audio': REJECT_CODES,
  'control-frame': ['TRUNCATED', 'BAD_FIELD'],
  'control-stream': ['TRUNCATED', 'BAD_FIELD', 'TOO_LARGE', 'BAD_VERSION'],
};

describe('fuzzing every network decoder', () => {
  it.each(TARGETS.map((target) => [target.name, target] as const))(
    '%s: every input is rejected with a DecodeError code or decodes and round-trips',
    (name, target) => {
      const report = runFuzz(target, { seed: SEED, inputs: INPUTS });
      expect(report.failures).toEqual([]);
      expect(report.exceptions).toBe(0);
      expect(report.mismatches).toBe(0);
      const rejected = Object.values(report.rejected).reduce((sum, n) => sum + n, 0);
      expect(report.accepted + rejected).toBe(INPUTS);
      // Enough valid inputs for the round trip to be exercised, and every rejection reached.
      expect(report.accepted).toBeGreaterThan(INPUTS / 50);
      expect(Object.keys(report.rejected).sort()).toEqual([...CODES[name]!].sort());
    },
  );
});
