import { describe, expect, it, onTestFinished } from 'vitest';
import { AudioEngine } from '@syfala/audio';
import { jackEnv, runCommand, sleep } from '@syfala/jack-rig';
import { hasJack, jackRig, openStereo, startEngine, stereo } from './fixture.js';

const STEREO = stereo(48000);
/** The virtual card's default input: a 440 Hz tone at −12 dBFS. */
const TONE_PEAK = 10 ** (-12 / 20);

/** A client's ports by direction, as `jack_lsp -p` lists their properties (whatever their names). */
async function portsOf(server: string, client: string): Promise<{ out: string[]; in: string[] }> {
  const { stdout } = await runCommand('jack_lsp', ['-p', `${client}:`], { env: jackEnv(server) });
  const ports = { out: [] as string[], in: [] as string[] };
  for (const [, name, properties] of stdout.matchAll(/^(\S.*)\n\s+properties: (.*)$/gm)) {
    ports[properties!.startsWith('output') ? 'out' : 'in'].push(name!);
  }
  return ports;
}

describe.skipIf(!hasJack)('the native engine’s meters, on a dummy JACK server', () => {
  it('meter a −12 dBFS tone as played and, looped back through JACK, as sent', async () => {
    const server = await jackRig();
    const native = await startEngine();
    await openStereo(native, server.name, STEREO);
    const tone = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
    onTestFinished(() => tone.close());
    await tone.openDevice({
      backend: 'virtual',
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: {},
    });
    // What the native engine plays goes back into what it sends.
    const ports = await portsOf(server.name, 'he-engine');
    expect(ports.out).toHaveLength(2);
    for (const [i, out] of ports.out.entries()) await server.connect(out, ports.in[i]!);

    const route = { device: 0, wire: 0, format: STEREO };
    const common = { address: '127.0.0.1', send: [route], receive: [route], sending: true };
    await native.addPeer({ ...common, id: 'tone', port: tone.port, targetLatencyFrames: 2400 });
    await tone.addPeer({ ...common, id: 'native', port: native.port, targetLatencyFrames: 2400 });
    expect((await native.stats()).peers[0]!.received[0]!.peak).toEqual([0, 0]);

    await sleep(800);
    const peer = (await native.stats()).peers[0]!;
    const back = (await tone.stats()).peers[0]!.received[0]!.peak;
    for (const peak of [...peer.received[0]!.peak, ...peer.sent[0]!.peak, ...back]) {
      expect(peak).toBeCloseTo(TONE_PEAK, 2);
    }
  });
});
