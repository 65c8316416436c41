// Its own file, so its own process: jackd2's libjack serves a process one server.
import { describe, expect, it } from 'vitest';
import type { PeerSpec } from '@syfala/audio';
import { hasJack, jackServer, openStereo, startEngine, stereo } from './fixture.js';

const WIRE = stereo(48000);

function peer(extra: Partial<PeerSpec>): PeerSpec {
  const route = { device: 0, wire: 0, format: WIRE };
  return {
    id: 'peer',
    address: '127.0.0.1',
    port: 9,
    send: [route],
    receive: [route],
    targetLatencyFrames: 256,
    sending: true,
    ...extra,
  };
}

describe.skipIf(!hasJack)('48 kHz streams on a 44.1 kHz JACK server', () => {
  it('are refused unless the device may resample, then need drift compensation per peer', async () => {
    const server = await jackServer(44100);
    const refused = await startEngine();
    await expect(openStereo(refused, server, WIRE)).rejects.toMatchObject({
      code: 'FORMAT_MISMATCH',
      message: expect.stringContaining('resampled only with drift compensation') as string,
    });
    const engine = await startEngine();
    await openStereo(engine, server, WIRE, { resample: true });
    await expect(engine.addPeer(peer({}))).rejects.toMatchObject({ code: 'FORMAT_MISMATCH' });
    await expect(
      engine.addPeer(peer({ driftCompensation: false, adaptiveLatency: true })),
    ).rejects.toMatchObject({ code: 'FORMAT_MISMATCH' });
    await engine.addPeer(peer({ driftCompensation: true, adaptiveLatency: true }));
    const received = (await engine.stats()).peers[0]!.received[0]!;
    expect(received.driftPpm).toBeTypeOf('number');
    // Peer frames per device frame: 48000 / 44100, the drift not measured yet.
    expect(received.resampleRatio).toBeCloseTo(48000 / 44100, 3);
    expect(received.jitterUs).toBeTypeOf('number');
  });
});
