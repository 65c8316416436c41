import { describe, expect, it, onTestFinished } from 'vitest';
import type { Format } from '@syfala/proto';
import { AudioEngine, readWavFile, type DeviceStreams } from '../src/index.js';
import { linkOneWay, sleep } from './engine-fixture.js';
import { tempFiles } from './temp-files.js';

/** The wire streams run at 48 kHz; each test's card runs at 44.1 kHz on one side. */
const WIRE: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 1, bufferFrames: 32 };
const CARD: Format = { ...WIRE, sampleRate: 44_100 };
const TONE_HZ = 440;

const file = tempFiles('rate');

async function engine(streams: DeviceStreams, record?: string): Promise<AudioEngine> {
  const started = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  onTestFinished(() => started.close());
  const sinks = record === undefined ? [] : [{ kind: 'wav' as const, path: record }];
  await started.openDevice({ backend: 'virtual', streams, options: { sinks } });
  return started;
}

/**
 * The tone's frequency in a recording, from the median interval between its rising zero
 * crossings (a glitch of a loaded machine moves a few of them, not the median): played at the
 * wrong rate, 440 Hz would come out as 440 × 44.1 / 48 = 404 Hz, or 479 Hz the other way.
 */
async function toneHz(path: string): Promise<number> {
  const { format, frames, samples } = await readWavFile(path);
  const crossings: number[] = [];
  for (let i = 1; i < frames; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  const intervals = crossings.slice(1).map((at, k) => at - crossings[k]!);
  intervals.sort((x, y) => x - y);
  return format.sampleRate / intervals[Math.floor(intervals.length / 2)]!;
}

/** Streams `sender`'s card input to `receiver`'s card output over wire format WIRE for 2.5 s. */
async function stream(sender: AudioEngine, receiver: AudioEngine): Promise<void> {
  await linkOneWay(sender, receiver, WIRE, { driftCompensation: true });
  await sleep(2500);
}

describe('a card at 44.1 kHz streaming 48 kHz wire streams (drift compensation)', () => {
  it.each([
    ['plays a 48 kHz stream at its own rate', WIRE, CARD],
    ['sends its 44.1 kHz input as a 48 kHz stream', CARD, WIRE],
  ])('%s: the tone keeps its pitch', { timeout: 15_000 }, async (_, captured, played) => {
    const take = file();
    const sender = await engine({ inputs: [captured], outputs: [] });
    const receiver = await engine({ inputs: [], outputs: [played] }, take);
    await stream(sender, receiver);
    const received = (await receiver.stats()).peers[0]!.received[0]!;
    expect(received.receivedBytes).toBeGreaterThan(0);
    await receiver.close();
    expect(Math.abs((await toneHz(take)) - TONE_HZ)).toBeLessThan(2);
  });

  it('refuses another rate without drift compensation, in one sentence', async () => {
    const receiver = await engine({ inputs: [], outputs: [CARD] });
    await expect(
      receiver.addPeer({
        id: 'p',
        address: '127.0.0.1',
        port: 9,
        send: [],
        receive: [{ device: 0, wire: 0, format: WIRE }],
        targetLatencyFrames: 480,
        sending: false,
      }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message:
        'audio engine: wire stream 0 is at 48000 Hz, device output stream 0 at 44100 Hz: converting needs drift compensation',
    });
  });
});
