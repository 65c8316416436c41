import { describe, expect, it } from 'vitest';
import { jackEnv, runCommand, sleep } from '@syfala/jack-rig';
import { hasJack, jackServer, openStereo, PERIOD, startEngine, stereo } from './fixture.js';

const STEREO = stereo(48000);

/** `jack_lsp -l`'s latency range of `port` in `mode`, e.g. [320, 320]. */
async function latencyOf(
  server: string,
  port: string,
  mode: 'capture' | 'playback',
): Promise<number[]> {
  const { stdout } = await runCommand('jack_lsp', ['-l', port], { env: jackEnv(server) });
  const range = new RegExp(`port ${mode} latency = \\[ (\\d+) (\\d+) \\]`).exec(stdout);
  return range ? [Number(range[1]), Number(range[2])] : [];
}

async function waitForLatency(
  server: string,
  port: string,
  mode: 'capture' | 'playback',
  frames: number,
): Promise<number[]> {
  let seen: number[] = [];
  for (let i = 0; i < 100; i++) {
    seen = await latencyOf(server, port, mode);
    if (seen[0] === frames && seen[1] === frames) break;
    await sleep(50);
  }
  return seen;
}

describe.skipIf(!hasJack)('JackEngine on a dummy JACK server', () => {
  it('reports the target latency plus a period on its ports, as jack_lsp -l shows', async () => {
    const server = await jackServer();
    const engine = await startEngine();
    await openStereo(engine, server, STEREO);
    const target = 256;
    await engine.addPeer({
      id: 'peer',
      address: '127.0.0.1',
      port: 9, // discard: nothing needs to arrive for the latency to be reported
      send: [{ device: 0, wire: 0, format: STEREO }],
      receive: [{ device: 0, wire: 0, format: STEREO }],
      targetLatencyFrames: target,
      sending: false,
    });
    const expected = target + PERIOD;
    // What the output ports play was captured that long ago; what the inputs take plays then.
    expect(await waitForLatency(server, 'he-engine:receive_2', 'capture', expected)).toEqual([
      expected,
      expected,
    ]);
    expect(await waitForLatency(server, 'he-engine:send_1', 'playback', expected)).toEqual([
      expected,
      expected,
    ]);
    engine.removePeer('peer');
    expect(await waitForLatency(server, 'he-engine:receive_1', 'capture', PERIOD)).toEqual([
      PERIOD,
      PERIOD,
    ]);
  });
});
