import { describe, expect, it } from 'vitest';
import type { Format } from '@syfala/proto';
import { linkOneWay, sleep, startEngine } from './engine-fixture.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** The virtual card's default input: a 440 Hz tone at −12 dBFS. */
const TONE_PEAK = 10 ** (-12 / 20);

describe('the engine’s meters', () => {
  it('meter the virtual card’s −12 dBFS tone as sent and as played, per channel', async () => {
    const sender = await startEngine({ inputs: [FORMAT], outputs: [] });
    const receiver = await startEngine({ inputs: [], outputs: [FORMAT] });
    await linkOneWay(sender, receiver, FORMAT);
    expect((await receiver.stats()).peers[0]!.received[0]!.peak).toEqual([0, 0]);

    await sleep(600);
    const sent = (await sender.stats()).peers[0]!.sent[0]!.peak;
    const played = (await receiver.stats()).peers[0]!.received[0]!.peak;
    for (const peak of [...sent, ...played]) expect(peak).toBeCloseTo(TONE_PEAK, 3);
    expect(sent).toHaveLength(2);
    expect(played).toHaveLength(2);
  });
});
