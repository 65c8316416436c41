/**
 * Quick-start demo (`npm run demo`): a server and a client speak the Syfala wire protocol over real
 * UDP sockets on 127.0.0.1 — discovery, offer, start I/O, two seconds of audio both ways, stop,
 * disconnect — and every received sample is checked against what was sent. Nothing leaves loopback.
 *
 * The server offers one input (f32 stereo, 440 Hz at −12 dBFS) and one output (i24 stereo, the
 * client's 660 Hz). The client's received audio goes through an SPSC ring to a worker thread, the
 * way a device callback would consume it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import {
  AUDIO_HEADER_BYTES,
  AUDIO_TAG_CODE,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  bytesPerFrame,
  createAudioHeader,
  decodeMessage,
  describeFormat,
  encode,
  readAudioHeader,
  readPreamble,
  writeAudioHeader,
  type Format,
  type Message,
  type Role,
  type StreamFormats,
} from '@syfala/proto';
import { SpscRing, decodeSamples, encodeSamples } from '@syfala/utils';
import { renderTone, type Tone } from './tone.js';

const DURATION_S = 2;
const TICK_MS = 5;
const RATE = 48_000;
const DBFS_12 = 10 ** (-12 / 20);

const formats: StreamFormats = {
  inputs: [{ sampleRate: RATE, channels: 2, bufferFrames: 32, sampleType: 'f32' }],
  outputs: [{ sampleRate: RATE, channels: 2, bufferFrames: 32, sampleType: 'i24' }],
};
const serverTone: Tone = { frequencyHz: 440, level: DBFS_12, sampleRate: RATE, channels: 2 };
const clientTone: Tone = { frequencyHz: 660, level: DBFS_12, sampleRate: RATE, channels: 2 };

/** Per-stream receive bookkeeping after PROTOCOL.md §7.2. */
class StreamCounters {
  expected = 0;
  datagrams = 0;
  lostBytes = 0;
  lateOrDuplicate = 0;

  /** Returns whether the run is new audio. */
  accept(byteIndex: number, byteCount: number): boolean {
    this.datagrams++;
    if (byteIndex + byteCount <= this.expected) {
      this.lateOrDuplicate++;
      return false;
    }
    if (byteIndex > this.expected) this.lostBytes += byteIndex - this.expected;
    this.expected = byteIndex + byteCount;
    return true;
  }
}

/** One endpoint's socket: typed control messages out, a handler per received datagram. */
class Endpoint {
  readonly socket: Socket = createSocket('udp4');
  readonly rejected = new Map<string, number>();

  constructor(
    readonly peerRole: Role,
    onControl: (message: Message, from: RemoteInfo) => void,
    onAudio: (datagram: Buffer, from: RemoteInfo) => void,
  ) {
    this.socket.on('message', (datagram, from) => {
      try {
        // Audio takes the allocation-free path; everything else the general decoder.
        if (readPreamble(datagram, 0, datagram.length) === AUDIO_TAG_CODE) onAudio(datagram, from);
        else onControl(decodeMessage(datagram, peerRole), from);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'UNEXPECTED';
        this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
      }
    });
  }

  async bind(): Promise<number> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    return this.socket.address().port;
  }

  send(message: Message, port: number): void {
    this.socket.send(encode(message), port, '127.0.0.1');
  }
}

/** Streams `tone` as `format` to `port` in datagrams within the budget, paced by the wall clock. */
function streamTone(endpoint: Endpoint, port: number, format: Format, tone: Tone): Promise<number> {
  const frameBytes = bytesPerFrame(format);
  const framesPerDatagram = Math.floor(
    (DEFAULT_DATAGRAM_BUDGET_BYTES - AUDIO_HEADER_BYTES) / frameBytes,
  );
  const samples = new Float32Array(framesPerDatagram * format.channels);
  const totalFrames = DURATION_S * RATE;
  const start = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(totalFrames, Math.floor(((performance.now() - start) / 1000) * RATE));
      while (sent < due) {
        const frames = Math.min(framesPerDatagram, due - sent);
        const datagram = Buffer.allocUnsafe(AUDIO_HEADER_BYTES + frames * frameBytes);
        writeAudioHeader(datagram, 0, 0, sent * frameBytes, frames * frameBytes);
        renderTone(tone, sent, frames, samples);
        encodeSamples(
          format.sampleType,
          samples,
          0,
          datagram,
          AUDIO_HEADER_BYTES,
          frames * format.channels,
        );
        endpoint.socket.send(datagram, port, '127.0.0.1');
        sent += frames;
      }
      if (sent === totalFrames) {
        clearInterval(timer);
        resolve(sent);
      }
    }, TICK_MS);
  });
}

async function main(): Promise<void> {
  const [input] = formats.inputs;
  const [output] = formats.outputs;

  // Server: answers discovery with an offer, grants start/stop, checks the client's i24 audio.
  const toServer = new StreamCounters();
  let serverMismatches = 0;
  const heard = new Float32Array(4096);
  const expected = new Float32Array(4096);
  const expectedWire = new Uint8Array(4096 * 3);
  const serverHeader = createAudioHeader();
  let clientPort = 0;
  let serverStreaming: Promise<number> | undefined;
  const server: Endpoint = new Endpoint(
    'client',
    (message, from) => {
      if (message.type === 'discovery') {
        server.send(
          {
            type: 'connect',
            endpointId: '5f1a0c3e-9b2d-4e6f-8a71-c0ffee000001',
            name: 'demo card',
            controlPort: 0,
            formats,
          },
          from.port,
        );
      } else if (message.type === 'connection-result' && message.outcome === 'ok') {
        clientPort = from.port;
      } else if (message.type === 'start-io' && from.port === clientPort) {
        server.send(
          { type: 'start-io-result', requestId: message.requestId, outcome: 'ok' },
          from.port,
        );
        serverStreaming = streamTone(server, clientPort, input!, serverTone);
      } else if (message.type === 'stop-io' && from.port === clientPort) {
        server.send(
          { type: 'stop-io-result', requestId: message.requestId, outcome: 'ok' },
          from.port,
        );
      }
    },
    (datagram) => {
      const h = readAudioHeader(datagram, serverHeader);
      if (!toServer.accept(h.byteIndex, h.byteCount)) return;
      const count = h.byteCount / 3;
      const firstFrame = h.byteIndex / bytesPerFrame(output!);
      decodeSamples('i24', datagram, h.payloadOffset, heard, 0, count);
      // What the client meant, quantised to i24 the same way, must be what arrived.
      renderTone(clientTone, firstFrame, count / 2, expected);
      encodeSamples('i24', expected, 0, expectedWire, 0, count);
      decodeSamples('i24', expectedWire, 0, expected, 0, count);
      for (let i = 0; i < count; i++) if (heard[i] !== expected[i]) serverMismatches++;
    },
  );
  const serverPort = await server.bind();

  // Client: its received f32 audio goes into a ring that a worker drains period by period.
  const ring = SpscRing.create(16_384);
  const progress = new Int32Array(new SharedArrayBuffer(8));
  const consumer = new Worker(new URL('./ring-consumer.js', import.meta.url), {
    workerData: {
      ringBuffer: ring.buffer,
      progressBuffer: progress.buffer,
      tone: serverTone,
      periodFrames: 32,
    },
  });
  const consumed = once(consumer, 'message') as Promise<
    [{ frames: number; mismatches: number; rms: number; peak: number }]
  >;

  const fromServer = new StreamCounters();
  const clientHeader = createAudioHeader();
  const received = new Float32Array(4096);
  let ringOverruns = 0;
  const replies = new Map<string, (message: Message) => void>();
  const client: Endpoint = new Endpoint(
    'server',
    (message) => replies.get(message.type)?.(message),
    (datagram) => {
      const h = readAudioHeader(datagram, clientHeader);
      if (!fromServer.accept(h.byteIndex, h.byteCount)) return;
      const count = h.byteCount / 4;
      decodeSamples('f32', datagram, h.payloadOffset, received, 0, count);
      if (ring.write(received, 0, count) < count) ringOverruns++;
      Atomics.add(progress, 0, count);
      Atomics.notify(progress, 0);
    },
  );
  await client.bind();
  const reply = <T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> =>
    new Promise((resolve) => replies.set(type, resolve as (message: Message) => void));

  const t0 = performance.now();
  const offer = reply('connect');
  client.send({ type: 'discovery' }, serverPort);
  const connect = await offer;
  console.log(`client: offer from "${connect.name}" at 127.0.0.1:${serverPort}`);
  console.log(
    `        inputs ${connect.formats.inputs.map(describeFormat).join(', ')}; outputs ${connect.formats.outputs.map(describeFormat).join(', ')}`,
  );
  client.send({ type: 'connection-result', outcome: 'ok' }, serverPort);

  const started = reply('start-io-result');
  client.send({ type: 'start-io', requestId: 1 }, serverPort);
  console.log(
    `client: start I/O → ${(await started).outcome}; streaming ${DURATION_S} s both ways...`,
  );
  const clientFrames = await streamTone(client, serverPort, output!, clientTone);
  const serverFrames = await serverStreaming!;
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the last datagrams land

  const stopped = reply('stop-io-result');
  client.send({ type: 'stop-io', requestId: 2 }, serverPort);
  console.log(`client: stop I/O → ${(await stopped).outcome}`);
  client.send({ type: 'disconnect', reason: 'normal' }, serverPort);
  Atomics.store(progress, 1, 1);
  Atomics.notify(progress, 0);
  const [worker] = await consumed;
  const seconds = (performance.now() - t0) / 1000;

  const frameBytes = (format: Format): number => bytesPerFrame(format);
  console.log(
    `\n| direction | format | frames sent | frames received | lost frames | late/dup | sample mismatches |`,
  );
  console.log(`| --- | --- | ---: | ---: | ---: | ---: | ---: |`);
  console.log(
    `| server → client (via ring + worker) | ${describeFormat(input!)} | ${serverFrames} | ${worker.frames} | ${fromServer.lostBytes / frameBytes(input!)} | ${fromServer.lateOrDuplicate} | ${worker.mismatches} |`,
  );
  console.log(
    `| client → server | ${describeFormat(output!)} | ${clientFrames} | ${toServer.expected / frameBytes(output!)} | ${toServer.lostBytes / frameBytes(output!)} | ${toServer.lateOrDuplicate} | ${serverMismatches} |`,
  );
  const dbfs = (x: number): string => (20 * Math.log10(x)).toFixed(1);
  console.log(
    `\nworker: RMS ${dbfs(worker.rms)} dBFS, peak ${dbfs(worker.peak)} dBFS (a −12 dBFS sine: RMS −15.0)`,
  );
  console.log(
    `datagrams: ${fromServer.datagrams} to the client, ${toServer.datagrams} to the server; ring overruns ${ringOverruns}; rejected ${JSON.stringify(Object.fromEntries([...server.rejected, ...client.rejected]))}`,
  );
  console.log(`done in ${seconds.toFixed(2)} s`);

  server.socket.close();
  client.socket.close();
  const clean =
    worker.mismatches === 0 &&
    serverMismatches === 0 &&
    worker.frames === serverFrames &&
    toServer.expected === clientFrames * frameBytes(output!);
  if (!clean) {
    console.error('demo: audio did not arrive intact (see the table above)');
    process.exitCode = 1;
  }
}

await main();
