/**
 * One real client streaming both ways with a server, as `syfala connect` does: its own audio
 * engine (a worker thread with the virtual card), TCP control, I/O started. Loopback only.
 */
import { AudioEngine, type EngineStats } from '@syfala/audio';
import { connect, type SessionEnd, type Streaming } from '@syfala/network';
import type { ServerPorts } from './server-process.js';

/** `syfala connect`'s default jitter-buffer target (DEFAULT_TARGET_LATENCY_FRAMES). */
const TARGET_LATENCY_FRAMES = 480;
const SERVER = 'server';

export class StreamSession {
  readonly #engine: AudioEngine;
  readonly #streaming: Streaming;
  #end: SessionEnd | undefined;

  private constructor(engine: AudioEngine, streaming: Streaming) {
    this.#engine = engine;
    this.#streaming = streaming;
    void streaming.ended.then((end) => (this.#end = end));
  }

  static async start(ports: ServerPorts): Promise<StreamSession> {
    const engine = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
    const connected = await connect(
      { host: '127.0.0.1', ...ports },
      { transport: 'tcp', udpAudioPort: engine.port, clientName: 'streaming client' },
    );
    const { inputs, outputs } = connected.offer.formats;
    // The client's device mirrors the server's: it plays the server's inputs, captures its outputs.
    await engine.openDevice({
      backend: 'virtual',
      streams: { inputs: outputs, outputs: inputs },
      options: {},
    });
    const route = (format: (typeof inputs)[number], i: number) => ({ device: i, wire: i, format });
    // Receiving is set up before each request, with the keys of the run it starts.
    const streaming = await connected.startIo({
      prepare: async (security) => {
        engine.removePeer(SERVER);
        await engine.addPeer({
          id: SERVER,
          address: '127.0.0.1',
          port: connected.offer.udpAudioPort,
          send: outputs.map(route),
          receive: inputs.map(route),
          targetLatencyFrames: TARGET_LATENCY_FRAMES,
          sending: false,
          ...(security !== undefined && { security }),
        });
      },
    });
    engine.setSending(SERVER, true);
    return new StreamSession(engine, streaming);
  }

  /** The client's audio port: the server knows this client's audio by it. */
  get audioPort(): number {
    return this.#engine.port;
  }

  /** How the session ended, if it has. */
  get end(): SessionEnd | undefined {
    return this.#end;
  }

  stats(): Promise<EngineStats> {
    return this.#engine.stats();
  }

  async close(): Promise<void> {
    if (this.#end === undefined) {
      this.#engine.setSending(SERVER, false);
      await (await this.#streaming.stopIo()).disconnect();
    }
    await this.#engine.close();
  }
}
