import { createSocket, type Socket } from 'node:dgram';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi, type TestContext } from 'vitest';
import { mountSmallFileSystem } from '@syfala/jack-rig';
import {
  createAudioHeader,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  encode,
  readAudioHeader,
  sealAudio,
  type Format,
} from '@syfala/proto';
import { ImpairmentRelay } from '@syfala/relay';
import {
  AudioEngine,
  readWavFile,
  type PeerSpec,
  type ReceivedStreamStats,
  type SinkFailure,
} from '../src/index.js';
import { crashWorker } from './crash-worker.js';
import { HELD, HOLD, MARKER } from './fixtures/gated-processor.mjs';
import { byteCount, played, sleep, startEngine as engine } from './engine-fixture.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** 100 ms: the accounting under test must not hang on how a loaded machine schedules threads. */
const TARGET_LATENCY_FRAMES = 4800;
const GATED_PROCESSOR = new URL('./fixtures/gated-processor.mjs', import.meta.url);

/** A UDP socket on 127.0.0.1, closed when the test ends. */
async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

describe('the streaming engine', () => {
  it(
    'conceals and counts exactly what an impairing relay dropped, duplicated and reordered',
    { timeout: 20_000 },
    async () => {
      const sender = await engine({ inputs: [FORMAT], outputs: [] });
      const receiver = await engine({ inputs: [], outputs: [FORMAT] });
      // Reordered by one position: the neighbours swap places.
      const relay = await ImpairmentRelay.start({
        target: { address: '127.0.0.1', port: receiver.port },
        impairments: {
          toTarget: { loss: 0.02, duplicate: 0.02, reorder: { probability: 0.02, positions: 1 } },
        },
        seed: 7,
      });
      onTestFinished(() => relay.close());
      const route = { device: 0, wire: 0, format: FORMAT };
      await receiver.addPeer({
        id: 'relay',
        address: '127.0.0.1',
        port: relay.port,
        send: [],
        receive: [route],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
        sending: false,
      });
      await sender.addPeer({
        id: 'relay',
        address: '127.0.0.1',
        port: relay.port,
        send: [route],
        receive: [],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
        sending: true,
      });

      await sleep(1500);
      const stats = (await receiver.stats()).peers[0]!.received[0]! as ReceivedStreamStats;
      const stream = relay.report().toTarget.streams[0]!;

      expect(stream.dropped.length).toBeGreaterThan(5);
      expect(stream.duplicated.length).toBeGreaterThan(5);
      expect(stream.reordered.length).toBeGreaterThan(5);
      // Every dropped range that has been played is concealed, and nothing else is.
      expect(stats.concealed).toEqual(played(stream.dropped, stats.playheadByte));
      expect(stats.lostBytes).toBe(byteCount(played(stream.dropped, stats.playheadByte)));
      // The relay runs on while the worker counts: compare what had reached the receiver then.
      expect(stats.duplicate).toBe(
        stream.duplicated.filter(([, end]) => end <= stats.highestByte).length,
      );
      // Swapped neighbours arrive well within the window: reordering costs nothing.
      expect(stats.late).toBe(0);
      expect(stats.underruns).toBe(0);
    },
  );

  it(
    "counts a peer's garbage by decode error, and drops strangers' datagrams undecoded",
    { timeout: 20_000 },
    async () => {
      const receiver = await engine({ inputs: [], outputs: [FORMAT] });
      const [peer, stranger] = await Promise.all([boundSocket(), boundSocket()]);
      await receiver.addPeer({
        id: 'peer',
        address: '127.0.0.1',
        port: peer.address().port,
        send: [],
        receive: [{ device: 0, wire: 0, format: FORMAT }],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
        sending: false,
      });
      const datagrams = [
        Buffer.from('not a datagram of ours'),
        encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 1 }),
        encode({ type: 'audio', streamIndex: 0, byteIndex: 0, payload: new Uint8Array(8) }),
        // Sealed audio, which this peer's audio (clear) never is.
        sealAudio(new Uint8Array(32), 'client-to-server', {
          streamIndex: 0,
          byteIndex: 8,
          copy: 0,
          keyId: 0,
          payload: new Uint8Array(8),
        }),
      ];
      for (const from of [peer, stranger]) {
        for (const datagram of datagrams) from.send(datagram, receiver.port, '127.0.0.1');
      }
      while ((await receiver.stats()).socket.datagramsReceived < 8) await sleep(10);
      const { socket, peers } = await receiver.stats();
      // A stranger's garbage costs no decode (and no thrown error): a flood of it is cheap.
      expect(socket).toMatchObject({
        datagramsReceived: 8,
        rejected: { BAD_MAGIC: 1, UNKNOWN_TAG: 2 },
        unknownSource: 4,
      });
      expect(peers[0]!.received[0]!.receivedBytes).toBe(8);
      expect(peers[0]!.security).toBeUndefined();
    },
  );

  it(
    'never sends a byte index twice, however far a burst of periods outruns the socket',
    { timeout: 20_000 },
    async () => {
      // The fast clock runs periods back to back for 4 ms before the event loop turns, as a
      // stalled clock catches up: over a thousand datagrams are handed to dgram, which sends
      // them only after the burst, more than the engine has send buffers for.
      const format: Format = { ...FORMAT, channels: 8, bufferFrames: 256 };
      const sender = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
      onTestFinished(() => sender.close());
      await sender.openDevice({
        backend: 'virtual',
        streams: { inputs: [format], outputs: [] },
        options: { clock: 'fast', sources: [{ kind: 'noise' }] },
      });
      const capture = await boundSocket();
      capture.setRecvBufferSize(8 * 1024 * 1024);
      const seen = new Set<number>();
      let repeated = 0;
      const header = createAudioHeader();
      capture.on('message', (datagram) => {
        const { byteIndex } = readAudioHeader(datagram, header);
        if (seen.has(byteIndex)) repeated++;
        seen.add(byteIndex);
      });
      await sender.addPeer({
        id: 'capture',
        address: '127.0.0.1',
        port: capture.address().port,
        send: [{ device: 0, wire: 0, format }],
        receive: [],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
        sending: true,
      });
      await sleep(1000);
      const stats = await sender.stats();
      await sender.close();
      await sleep(100);
      expect(seen.size).toBeGreaterThan(2000);
      expect(repeated).toBe(0);
      // What found no free buffer was dropped, and counted: the receiver sees a gap, not a repeat.
      expect(stats.peers[0]!.queueDrops!.send).toBeGreaterThan(0);
      // 'auto', the default: Node cannot read a route's MTU, so 1,400 bytes.
      expect(stats.peers[0]!.datagramBudgetBytes).toBe(DEFAULT_DATAGRAM_BUDGET_BYTES);
    },
  );

  it('refuses routes the device cannot carry, in one sentence, and keeps working', async () => {
    const receiver = await engine({ inputs: [], outputs: [FORMAT] });
    const peer = { id: 'p', address: '127.0.0.1', port: 9, send: [], sending: false };
    const spec = (route: { device: number; wire: number; format: Format }) => ({
      ...peer,
      receive: [route],
      targetLatencyFrames: 480,
    });
    await expect(
      receiver.addPeer(spec({ device: 1, wire: 0, format: FORMAT })),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: 'audio engine: device output stream 1 does not exist',
    });
    await expect(
      receiver.addPeer(spec({ device: 0, wire: 0, format: { ...FORMAT, channels: 4 } })),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: 'audio engine: wire stream 0 has 4 channels, device output stream 0 2',
    });
    await receiver.addPeer(spec({ device: 0, wire: 0, format: FORMAT }));
    expect((await receiver.stats()).peers.map((p) => p.id)).toEqual(['p']);
  });

  it('never replaces a peer: a second one with its id or its address is refused', async () => {
    const receiver = await engine({ inputs: [], outputs: [FORMAT] });
    const peer = {
      address: '127.0.0.1',
      send: [],
      receive: [{ device: 0, wire: 0, format: FORMAT }],
      targetLatencyFrames: 480,
      sending: false,
    };
    await receiver.addPeer({ ...peer, id: 'victim', port: 9 });
    await expect(receiver.addPeer({ ...peer, id: 'victim', port: 10 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: 'audio engine: peer victim already streams',
    });
    await expect(receiver.addPeer({ ...peer, id: 'attacker', port: 9 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: "audio engine: address 127.0.0.1 port 9 is peer victim's already",
    });
    expect((await receiver.stats()).peers.map((p) => p.id)).toEqual(['victim']);
  });

  it('sends every period processed once setSending has resolved: a write just after is never lost', async () => {
    const cells = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
    const sender = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
    onTestFinished(() => sender.close());
    await sender.openDevice({
      backend: 'virtual',
      streams: { inputs: [FORMAT], outputs: [] },
      options: {},
      processor: { module: GATED_PROCESSOR.href, options: { cells: cells.buffer } },
    });
    const capture = await boundSocket();
    const header = createAudioHeader();
    const marked = new Promise<void>((resolve) =>
      capture.on('message', (datagram: Buffer) => {
        const { payloadOffset } = readAudioHeader(datagram, header);
        if (datagram.subarray(payloadOffset).readFloatLE(0) === 1) resolve();
      }),
    );
    await sender.addPeer({
      id: 'capture',
      address: '127.0.0.1',
      port: capture.address().port,
      send: [{ device: 0, wire: 0, format: FORMAT }],
      receive: [],
      targetLatencyFrames: 480,
      sending: false,
    });
    // The engine's thread is inside a period when sending is asked for, as it often is.
    Atomics.store(cells, HOLD, 1);
    await vi.waitFor(() => expect(Atomics.load(cells, HELD)).toBe(1));
    const sending = sender.setSending('capture', true);
    setTimeout(() => {
      Atomics.store(cells, HOLD, 0);
      Atomics.notify(cells, HOLD);
    }, 50);
    await sending;
    // What the app writes from here on leaves, from its first period.
    Atomics.store(cells, MARKER, 1);
    await expect(Promise.race([marked, sleep(2000).then(() => 'not sent')])).resolves.toBe(
      undefined,
    );
  });

  describe('its worker', () => {
    const peer = (id: string, targetLatencyFrames = 480): PeerSpec => ({
      id,
      address: '127.0.0.1',
      port: 9,
      send: [],
      receive: [{ device: 0, wire: 0, format: FORMAT }],
      targetLatencyFrames,
      sending: false,
    });

    it('answers each of two concurrent addPeer calls with the same id', async () => {
      const receiver = await engine({ inputs: [], outputs: [FORMAT] });
      const first = receiver.addPeer(peer('p'));
      const second = receiver.addPeer(peer('p', 960));
      await expect(first).resolves.toBeUndefined();
      await expect(second).rejects.toMatchObject({
        code: 'BAD_OPTION',
        message: 'audio engine: peer p already streams',
      });
      const { peers } = await receiver.stats();
      expect(peers.map((p) => [p.id, p.received[0]!.targetLatencyFrames])).toEqual([['p', 480]]);
    });

    it('keeps the code of an error thrown in the worker', async () => {
      const started = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
      onTestFinished(() => started.close());
      const missing = '/nonexistent/syfala-test.wav';
      await expect(
        started.openDevice({
          backend: 'virtual',
          streams: { inputs: [FORMAT], outputs: [] },
          options: { sources: [{ kind: 'wav', path: missing }] },
        }),
      ).rejects.toMatchObject({ name: 'AudioError', code: 'FILE_ERROR' });
      const receiver = await engine({ inputs: [], outputs: [FORMAT] });
      const error: unknown = await receiver.addPeer(peer('p', 0)).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'BAD_OPTION',
        cause: { name: 'JitterBufferError', code: 'BAD_TARGET_LATENCY' },
      });
    });

    for (const [how, crash, message] of [
      ['exits', 'process.exit(7)', 'audio engine: the worker stopped (exit code 7)'],
      ['throws', "throw new Error('boom')", 'audio engine: the worker failed: boom'],
    ] as const) {
      it(`fails every call with ENGINE_FAILED and loses the device when it ${how}`, async () => {
        const receiver = await engine({ inputs: [], outputs: [FORMAT] });
        const pending = await crashWorker('engine-worker.mjs', crash, () => [
          receiver.addPeer(peer('p')),
          receiver.stats(),
        ]);
        const failed = { name: 'AudioError', code: 'ENGINE_FAILED', message };
        for (const call of pending) await expect(call).rejects.toMatchObject(failed);
        await expect(receiver.deviceLost).resolves.toMatchObject(failed);
        await expect(receiver.stats()).rejects.toMatchObject(failed);
        await expect(receiver.setSending('p', true)).rejects.toMatchObject(failed);
        await receiver.close();
      });
    }
  });
});

describe('the engine with a WAV sink on a disk that fills', () => {
  /** A TS engine whose fast-clock card records output stream 0 onto a 64 KiB tmpfs. */
  async function recordingOntoSmallDisk(
    ctx: TestContext,
    onSinkFailed?: (failure: SinkFailure) => void,
  ): Promise<{ engine: AudioEngine; path: string }> {
    const disk = await mountSmallFileSystem(64 * 1024);
    if (typeof disk === 'string') ctx.skip(disk);
    onTestFinished(() => disk.unmount());
    const path = join(disk.dir, 'out.wav');
    const started = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
    onTestFinished(() => started.close().catch(() => undefined));
    await started.openDevice(
      {
        backend: 'virtual',
        streams: { inputs: [], outputs: [FORMAT] },
        options: { clock: 'fast', sinks: [{ kind: 'wav', path }] },
      },
      onSinkFailed,
    );
    return { engine: started, path };
  }

  it('reports the sink once its file is finalised, and runs on without it', async (ctx) => {
    let reported = (_failure: SinkFailure): void => undefined;
    const failed = new Promise<SinkFailure>((resolve) => (reported = resolve));
    const { engine: running, path } = await recordingOntoSmallDisk(ctx, (f) => reported(f));
    const failure = await failed;
    expect(failure).toMatchObject({ output: 0, path });
    expect(failure.reason).toMatch(/^ENOSPC/);
    expect((await readWavFile(path)).frames).toBe(failure.savedFrames);
    const periods = (await running.stats()).device!.periods;
    await vi.waitFor(async () =>
      expect((await running.stats()).device!.periods).toBeGreaterThan(periods),
    );
    await expect(running.close()).resolves.toBeUndefined();
  });

  it('with no one told, close() rejects with the failure (it used to hang)', async (ctx) => {
    const { engine: running, path } = await recordingOntoSmallDisk(ctx);
    // The card has written all that fits.
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(60_000));
    // Seen by the card while it ran, or only as it closed: either way it comes out here.
    const closing = running.close();
    await expect(closing).rejects.toMatchObject({ code: 'FILE_ERROR' });
    await expect(closing).rejects.toThrow(path);
    await expect(closing).rejects.toThrow(/ENOSPC/);
    expect((await readWavFile(path)).frames).toBeGreaterThan(0);
  });
});
