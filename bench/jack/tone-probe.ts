/**
 * A tone sent through a bridge and recorded on the way back, on server B, beside the tone itself:
 * glitches counted the same way for every bridge (sineGlitches, @syfala/jack-rig), whatever each
 * one's own counters mean. jack_simple_client (jackd2's example client) plays the tone into the
 * bridge's send port on B; for the measurement window jack_rec records what the bridge brings back
 * (after A's loop) and, as the rig's own floor, the tone straight from its port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWavFile } from '@syfala/audio';
import {
  ManagedProcess,
  sineGlitches,
  type JackServer,
  type SineGlitches,
  type Tone,
} from '@syfala/jack-rig';

/** jack_simple_client: a 200-sample sine table at 0.2 on output1. */
const TONE_PORT = 'jack_simple_client:output1';
const toneAt = (sampleRate: number): Tone => ({
  frequencyHz: sampleRate / 200,
  amplitude: 0.2,
  sampleRate,
});

/** What the recording showed, once it is over. */
export interface ToneGlitches {
  /** The tone after the bridge, there and back. */
  bridged: SineGlitches;
  /** The tone straight from its port meanwhile: what the rig does by itself. */
  direct: SineGlitches;
}

/** The tone playing into a bridge on B, and the recorder once the window opens. */
export class ToneProbe {
  readonly #server: JackServer;
  readonly #returnPort: string;
  readonly #period: number;
  readonly #dir: string;
  readonly #tone: ManagedProcess;
  #recorder: ManagedProcess | undefined;

  private constructor(
    server: JackServer,
    returnPort: string,
    period: number,
    dir: string,
    tone: ManagedProcess,
  ) {
    this.#server = server;
    this.#returnPort = returnPort;
    this.#period = period;
    this.#dir = dir;
    this.#tone = tone;
  }

  /** Plays the tone on `server` into `sendPort`; `returnPort` is where the bridge brings it back. */
  static async start(
    server: JackServer,
    sendPort: string,
    returnPort: string,
    period: number,
  ): Promise<ToneProbe> {
    const dir = await mkdtemp(join(tmpdir(), 'syfala-tone-'));
    const tone = new ManagedProcess('jack_simple_client', [], { env: server.env() });
    const probe = new ToneProbe(server, returnPort, period, dir, tone);
    try {
      await server.waitForPorts([TONE_PORT]);
      await server.connect(TONE_PORT, sendPort);
    } catch (err) {
      await probe.stop();
      throw err;
    }
    return probe;
  }

  get #file(): string {
    return join(this.#dir, 'tone.wav');
  }

  /** Records `seconds` of the bridged tone (channel 1) and the tone itself (channel 2). */
  record(seconds: number): void {
    const args = ['-f', this.#file, '-d', String(seconds), '-b', '32'];
    this.#recorder = new ManagedProcess('jack_rec', [...args, this.#returnPort, TONE_PORT], {
      env: this.#server.env(),
    });
  }

  /** Waits for the recording to end and counts its glitches. */
  async glitches(): Promise<ToneGlitches> {
    if (this.#recorder === undefined) throw new Error('tone probe: nothing was recorded');
    await this.#recorder.exited;
    const { samples } = await readWavFile(this.#file);
    const tone = toneAt(this.#server.sampleRate);
    const channel = (c: number): Float32Array => samples.filter((_, i) => i % 2 === c);
    return {
      bridged: sineGlitches(channel(0), tone, this.#period),
      direct: sineGlitches(channel(1), tone, this.#period),
    };
  }

  /** Stops the recorder and the tone (before their server) and removes the recording. */
  async stop(): Promise<void> {
    await this.#recorder?.stop();
    await this.#tone.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
