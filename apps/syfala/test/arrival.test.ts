import { describe, expect, it, onTestFinished } from 'vitest';
import { Daemon, peerId } from '../src/index.js';
import { jsonLines, syfala } from './cli-process.js';
import { sleep } from './fixtures.js';

const RATE = 48_000;
const SILENT_MS = 2500;

describe('syfala connect when the server stops sending audio', () => {
  it(
    'counts every frame played that never arrived, and says when audio stopped and resumed',
    { timeout: 30_000 },
    async () => {
      const format = {
        sampleType: 'f32',
        sampleRate: RATE,
        channels: 2,
        bufferFrames: 32,
      } as const;
      const daemon = await Daemon.start({
        name: 'quiet card',
        formats: { inputs: [format], outputs: [format] },
        host: '127.0.0.1',
        udpPort: 0,
        controlPort: 0,
        discovery: { group: false, mdns: false },
        device: { backend: 'virtual', options: {} },
      });
      onTestFinished(() => daemon.close());
      const client = syfala([
        'connect',
        `127.0.0.1:${daemon.server.udpPort}`,
        '--duration',
        '6',
        '--json',
      ]);
      while (!daemon.server.sessions.some((s) => s.state === 'streaming')) await sleep(20);
      const session = daemon.server.sessions[0]!;
      await sleep(1500);
      // The session lives on (heartbeats, control), but the server's audio stops: a silent
      // sender, as when another party took its address.
      await daemon.engine.setSending(peerId(session), false);
      await sleep(SILENT_MS);
      await daemon.engine.setSending(peerId(session), true);
      expect((await client.exited).code).toBe(0);

      const summary = jsonLines(client.stdout).find((line) => line['type'] === 'summary') as {
        streams: { missingFrames: number; lostFrames: number; underrunFrames: number }[];
      };
      const [stream] = summary.streams;
      // Everything the silence lasted, less what the jitter buffer held when it began.
      expect(stream!.missingFrames).toBeGreaterThan(((SILENT_MS - 500) / 1000) * RATE);
      expect(stream!.missingFrames).toBe(stream!.lostFrames + stream!.underrunFrames);
      const said = client.stderr.trimEnd().split('\n');
      expect(said).toHaveLength(2);
      expect(said[0]).toMatch(/^syfala: no audio has arrived from quiet card for \d+\.\d s$/);
      expect(said[1]).toMatch(/^syfala: audio from quiet card resumed after \d+\.\d s$/);
    },
  );
});
