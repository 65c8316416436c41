import { describe, expect, it } from 'vitest';
import type { ServerSession } from '@syfala/network';
import { makeFormat } from '@syfala/proto';
import { HISTORY_SAMPLES, SessionHistories } from '../src/observe/history.js';
import type { SessionSummary } from '../src/observe/session-summary.js';
import type { DaemonSnapshot } from '../src/observe/snapshot.js';

const format = makeFormat({ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 });

/** A snapshot of one session whose received stream has missed `missing` frames so far. */
function snapshot(session: ServerSession, missing: number | undefined): DaemonSnapshot {
  const summary: SessionSummary = {
    session,
    id: '127.0.0.1:5000',
    client: 'client',
    state: 'streaming',
    local:
      missing === undefined
        ? undefined
        : {
            streams: [
              {
                direction: 'receive',
                stream: 0,
                format,
                packets: 0,
                bytes: 0,
                missingFrames: missing,
                targetLatencyFrames: 480,
                bufferedFrames: 240,
              },
            ],
          },
    peer: undefined,
  };
  return { time: 0, sessions: [summary] } as unknown as DaemonSnapshot;
}

describe('SessionHistories', () => {
  it('keeps the last 600 samples a session, oldest first, loss as frames a second', () => {
    const histories = new SessionHistories();
    const session = {} as ServerSession;
    histories.sample(snapshot(session, undefined));
    for (let second = 0; second < HISTORY_SAMPLES + 99; second++) {
      histories.sample(snapshot(session, second * 10));
    }
    const { local, peer } = histories.of(session);
    expect(local.targetLatencySeconds).toHaveLength(HISTORY_SAMPLES);
    expect(local.targetLatencySeconds.every((value) => value === 0.01)).toBe(true);
    expect(local.bufferedSeconds[0]).toBe(0.005);
    // The first sample (not streaming) and the one after it (no earlier count) fell out.
    expect(local.lossFramesPerSecond.every((value) => value === 10)).toBe(true);
    expect(peer.jitterSeconds).toEqual(new Array(HISTORY_SAMPLES).fill(null));
  });

  it('forgets a session once it is closed', () => {
    const histories = new SessionHistories();
    const closed = {} as ServerSession;
    histories.sample(snapshot(closed, 0));
    histories.sample({ time: 0, sessions: [] } as unknown as DaemonSnapshot);
    expect(histories.of(closed).local.targetLatencySeconds).toEqual([]);
  });
});
