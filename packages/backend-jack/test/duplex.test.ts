import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDuplexStream } from '@syfala/audio';
import { jackEnv, ManagedProcess, sleep, type JackServer } from '@syfala/jack-rig';
import { jackBackend, JackError, type JackDuplexDevice } from '../src/index.js';
import { hasJack, jackRig, PERIOD, stereo } from './fixture.js';

/** Our JACK client that plays a seeded signal and records what comes back (native/tools). */
const JACK_SIGNAL = fileURLToPath(
  new URL('../../../native/build/Release/jack_signal', import.meta.url),
);
const STEREO = stereo(48000);
const processor = (name: string): string => new URL(`./processors/${name}`, import.meta.url).href;

/**
 * Plays jack_signal's seeded signal into `into` for `seconds`, recording what `from` sends back;
 * returns what was sent and what came back, frame-aligned.
 */
async function signalThrough(
  server: JackServer,
  into: string,
  from: string,
  seconds: number,
  whileRecording: () => void = () => undefined,
): Promise<{ sent: Float32Array; back: Float32Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'jd-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const recording = join(dir, 'signal.raw');
  const signal = spawn(JACK_SIGNAL, [server.name, String(seconds), recording, '11'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(signal.stdout, 'data');
  await server.connect('jack_signal:signal', into);
  await server.connect(from, 'jack_signal:return');
  whileRecording();
  expect(((await once(signal, 'close')) as [number | null])[0]).toBe(0);
  const pairs = new Float32Array(readFileSync(recording).buffer.slice(0));
  return { sent: pairs.filter((_, i) => i % 2 === 0), back: pairs.filter((_, i) => i % 2 === 1) };
}

/**
 * How `back` follows `sent` × gain: frames that match it exactly, counted by delay (a JACK xrun
 * on the non-real-time dummy server can shift the delay of a single period), the silent ones,
 * and those that match the signal at no delay of the last second (corrupted). `delay` is the
 * delay most frames have.
 */
function followed(sent: Float32Array, back: Float32Array, gain: number, from = 0) {
  const start = back.findIndex((sample, i) => i >= from && sample !== 0);
  const byDelay = new Map<number, number>();
  let delay = -1;
  let silent = 0;
  let corrupted = 0;
  for (let i = start; i < back.length; i++) {
    if (delay >= 0 && back[i] === Math.fround(gain * sent[i - delay]!)) {
      byDelay.set(delay, byDelay.get(delay)! + 1);
      continue;
    }
    if (back[i] === 0) {
      silent++;
      continue;
    }
    // A new delay: where this sample was sent (the xorshift signal does not repeat).
    let k = i;
    while (k >= Math.max(0, i - 48000) && Math.fround(gain * sent[k]!) !== back[i]) k--;
    if (k < Math.max(0, i - 48000)) {
      corrupted++;
      continue;
    }
    delay = i - k;
    byDelay.set(delay, (byDelay.get(delay) ?? 0) + 1);
  }
  const [mostly, exact] = [...byDelay].reduce((a, b) => (b[1] > a[1] ? b : a), [-1, 0]);
  return { start, delay: mostly, exact, silent, corrupted, span: back.length - start };
}

describe.skipIf(!hasJack || !existsSync(JACK_SIGNAL))('openDuplexStream on JACK', () => {
  it('runs a processor module on the JACK clock, sample-exact, one period beyond a pass-through client', async () => {
    const server = await jackRig();

    // The reference: the same route through jack_thru, which copies its input in JACK's callback.
    const thru = new ManagedProcess('jack_thru', [], { env: jackEnv(server.name) });
    onTestFinished(async () => void (await thru.stop()));
    await server.waitForPorts(['jack_thru:input_1', 'jack_thru:output_1']);
    const reference = await signalThrough(server, 'jack_thru:input_1', 'jack_thru:output_1', 1);
    const direct = followed(reference.sent, reference.back, 1);
    await thru.stop();
    expect(direct.corrupted).toBe(0);

    const log = new SharedArrayBuffer(8 * (1 + 4 * 200));
    const stream = await openDuplexStream({
      backend: jackBackend,
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: { server: server.name, clientName: 'jd-duplex', autoConnect: false },
      processor: { module: processor('gain-swap.mjs'), options: { log } },
    });
    const device = stream.device as JackDuplexDevice;
    expect(device.inputPorts).toEqual(['jd-duplex:in_1', 'jd-duplex:in_2']);
    // The signal enters on channel 1 and, swapped at half gain, leaves on channel 2.
    const { sent, back } = await signalThrough(server, 'jd-duplex:in_1', 'jd-duplex:out_2', 2);
    const stats = device.stats();
    await stream.close();

    const through = followed(sent, back, 0.5);
    expect(through.corrupted).toBe(0);
    expect(through.delay).toBe(direct.delay + PERIOD);
    expect(through.exact).toBeGreaterThan(0.9 * through.span);
    // Silence only where the worker was late, which the stats count.
    expect(through.silent).toBeLessThanOrEqual(stats.outputUnderflows * PERIOD);

    const periods = new Float64Array(log);
    const count = periods[0]!;
    expect(count).toBe(200);
    const row = (n: number) => ({
      frameIndex: periods[1 + 4 * n]!,
      inputTimeNs: periods[2 + 4 * n]!,
      outputTimeNs: periods[3 + 4 * n]!,
      lateNs: periods[4 + 4 * n]!,
    });
    const hostNowNs = Number(process.hrtime.bigint());
    expect(row(0).frameIndex).toBe(0);
    let dropped = 0;
    for (let n = 0; n < count; n++) {
      const { frameIndex, inputTimeNs, outputTimeNs, lateNs } = row(n);
      // The stream's frames, period after period, whatever JACK's own counter does: a gap is
      // exactly the periods dropped for a worker 16 periods behind (inputOverflows).
      if (n > 0) {
        const step = frameIndex - row(n - 1).frameIndex;
        expect(step % PERIOD).toBe(0);
        expect(step).toBeGreaterThan(0);
        dropped += step / PERIOD - 1;
      }

      // JACK's cycle times are CLOCK_MONOTONIC, the clock process.hrtime reads.
      expect(inputTimeNs).toBeGreaterThan(hostNowNs - 60e9);
      expect(inputTimeNs).toBeLessThan(hostNowNs);
      // Three of JACK's periods from capture to playback: one each for JACK's capture and
      // playback, one for the worker. JACK measures its period (a 1.33 ms nominal one takes
      // longer on a non-real-time dummy server).
      const periodNs = (outputTimeNs - inputTimeNs) / 3;
      expect(periodNs / ((PERIOD / 48000) * 1e9)).toBeGreaterThan(0.75);
      expect(periodNs / ((PERIOD / 48000) * 1e9)).toBeLessThan(1.5);
      expect(lateNs).toBeGreaterThanOrEqual(0);
    }
    expect(dropped).toBeLessThanOrEqual(stats.inputOverflows);
    // JACK's cycle times span the periods' time (a non-real-time dummy server that xruns
    // restates them now and then, so only the whole span is checked).
    const spanNs = row(count - 1).inputTimeNs - row(0).inputTimeNs;
    const nominalNs = ((count - 1) * PERIOD * 1e9) / 48000;
    expect(spanNs / nominalNs).toBeGreaterThan(0.5);
    expect(spanNs / nominalNs).toBeLessThan(2);
  }, 60_000);

  it('rejects a processor module that cannot be loaded, PROCESSOR_FAILED, with the client closed', async () => {
    const server = await jackRig();
    const opening = openDuplexStream({
      backend: jackBackend,
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: { server: server.name, clientName: 'jd-missing', autoConnect: false },
      processor: { module: processor('no-such-processor.mjs') },
    });
    await expect(opening).rejects.toThrow(JackError);
    await expect(opening).rejects.toMatchObject({
      code: 'PROCESSOR_FAILED',
      message: expect.stringMatching(
        /^processor .*no-such-processor\.mjs: cannot import it/,
      ) as unknown,
    });
    expect(await server.ports(/^jd-missing:/)).toEqual([]);
  });

  it('ends with PROCESSOR_FAILED from close() when the processor throws, the client closed', async () => {
    const server = await jackRig();
    const stream = await openDuplexStream({
      backend: jackBackend,
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: { server: server.name, clientName: 'jd-throws', autoConnect: false },
      processor: { module: processor('throws.mjs') },
    });
    const device = stream.device as JackDuplexDevice;
    // It threw on period 10: from then on the client plays silence, counted.
    while (device.stats().outputUnderflows < 10) await sleep(20);
    await expect(stream.close()).rejects.toMatchObject({
      code: 'PROCESSOR_FAILED',
      message: expect.stringContaining('process() threw: boom on period 10') as unknown,
    });
    expect(await server.ports(/^jd-throws:/)).toEqual([]);
    await expect(stream.close()).rejects.toThrow(JackError); // idempotent: the same outcome
  });

  it('refuses a main-thread process function, BAD_OPTION, with the client closed', async () => {
    const server = await jackRig();
    await expect(
      openDuplexStream({
        backend: jackBackend,
        streams: { inputs: [STEREO], outputs: [STEREO] },
        options: { server: server.name, clientName: 'jd-function', autoConnect: false },
        process: () => undefined,
      }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringContaining('`processor` module') as unknown,
    });
    expect(await server.ports(/^jd-function:/)).toEqual([]);
  });

  it('plays silence for the periods of a stalled worker, counted, and keeps its one period of latency', async () => {
    const server = await jackRig();
    const stall = new SharedArrayBuffer(4);
    const stream = await openDuplexStream({
      backend: jackBackend,
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: { server: server.name, clientName: 'jd-stall', autoConnect: false },
      processor: { module: processor('stalls.mjs'), options: { stall } },
    });
    const device = stream.device as JackDuplexDevice;
    const { sent, back } = await signalThrough(server, 'jd-stall:in_1', 'jd-stall:out_1', 3, () =>
      setTimeout(() => Atomics.store(new Int32Array(stall), 0, 1), 1000),
    );
    const stats = device.stats();
    await stream.close();
    expect(new Int32Array(stall)[0]).toBe(2); // it did stall
    expect(stats.outputUnderflows).toBeGreaterThan(0);
    expect(stats.lateOutputs).toBeGreaterThan(0);
    // The same delay before and after the stall: late outputs were dropped, not played late.
    const before = followed(sent, back, 1);
    const after = followed(sent, back, 1, back.length - 24000);
    expect(before.corrupted + after.corrupted).toBe(0);
    expect(after.delay).toBe(before.delay);
    expect(before.silent).toBeGreaterThanOrEqual(PERIOD);
  });
});
