import { describe, expect, it } from 'vitest';
import type { Format } from '@syfala/proto';
import { byteCount, played } from './engine-fixture.js';
import { coveredAtLeast, runLossyLink } from './lossy-link.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** 100 ms: the accounting under test must not hang on how a loaded machine schedules threads. */
const TARGET_LATENCY_FRAMES = 4800;

describe('redundancy through a lossy link', () => {
  it(
    'conceals only bytes whose every copy was dropped: a fraction of the loss without it',
    {
      timeout: 20_000,
    },
    async () => {
      const link = { format: FORMAT, loss: 0.05, seed: 11, streamMs: 1500 };
      const targetLatencyFrames = TARGET_LATENCY_FRAMES;
      const [plain, redundant] = [
        await runLossyLink({ ...link, redundancy: 0, targetLatencyFrames }),
        await runLossyLink({ ...link, redundancy: 1, targetLatencyFrames }),
      ];

      for (const [run, copies] of [
        [plain, 1],
        [redundant, 2],
      ] as const) {
        const { received, dropped } = run;
        // The bytes concealed are exactly those the relay dropped in every datagram carrying them.
        const lost = played(coveredAtLeast(dropped, copies), received.playheadByte);
        expect(received.concealed).toEqual(lost);
        expect(received.lostBytes).toBe(byteCount(lost));
        expect(received.underruns).toBe(0);
      }
      expect(redundant.dropped.length).toBeGreaterThan(20);
      expect(plain.received.lostFrames).toBeGreaterThan(0);
      expect(redundant.received.lostFrames).toBeLessThan(plain.received.lostFrames / 4);
      // With a latency of many periods, the copy of a period arrives while its first is still
      // buffered: every run adds bytes, none counts as duplicate, none is trimmed.
      expect(redundant.received.duplicate).toBe(0);
      expect(redundant.received.overlapTrimmed).toBe(0);
      // Each period's bytes go out twice, in about as many datagrams: 32 frames and the history
      // fit one datagram.
      const ratio = (run: typeof plain): number => run.sent.bytes / run.received.highestByte;
      expect(ratio(plain)).toBeCloseTo(1, 1);
      expect(ratio(redundant)).toBeCloseTo(2, 1);
    },
  );
});
