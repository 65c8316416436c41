import { spawnSync } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { startJackServer, uniqueServerName, type JackServer } from '@syfala/jack-rig';
import { makeFormat, type Format } from '@syfala/proto';
import { JackEngine, type JackDeviceOptions } from '../src/index.js';

export const hasJack = spawnSync('jackd', ['--version']).status === 0;
export const PERIOD = 64;

export function stereo(sampleRate: number): Format {
  return makeFormat({ sampleRate, channels: 2, sampleType: 'f32', bufferFrames: 0 });
}

/** A dummy JACK server, stopped when the test ends, after its clients. */
export async function jackRig(sampleRate = 48000): Promise<JackServer> {
  const server = await startJackServer({
    name: uniqueServerName('he-engine'),
    sampleRate,
    periodFrames: PERIOD,
  });
  onTestFinished(() => server.stop());
  return server;
}

/** jackRig's server, by name. */
export async function jackServer(sampleRate = 48000): Promise<string> {
  return (await jackRig(sampleRate)).name;
}

/** A started engine on `server`, closed when the test ends. */
export async function startEngine(): Promise<JackEngine> {
  const engine = await JackEngine.start({ bind: { address: '127.0.0.1', port: 0 } });
  onTestFinished(() => engine.close());
  return engine;
}

/** Opens a client `he-engine` with one stereo stream each way at `format`'s rate. */
export function openStereo(
  engine: JackEngine,
  server: string,
  format: Format,
  options: Partial<JackDeviceOptions> = {},
): Promise<unknown> {
  return engine.openDevice(
    { inputs: [format], outputs: [format] },
    { server, clientName: 'he-engine', autoConnect: false, ...options },
  );
}
