import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION,
  DecodeError,
  ENCRYPTED_AUDIO_CAPABILITY,
  decodeControlMessage,
  encodeControlFrame,
  encodeVersion1ControlFrame,
  type ControlMessage,
} from '@syfala/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ClientHello } from '../../src/control/channel.js';
import { connectTcpControl, type TcpControlConnectOptions } from '../../src/control/tcp-client.js';
import {
  TcpControlServer,
  type TcpControlServerOptions,
  type TcpServerOffer,
} from '../../src/control/tcp-server.js';
import { ControlError, NetworkError } from '../../src/errors.js';
import type { PeerInputError } from '../../src/guard.js';
import {
  CLIENT_ID,
  ChannelRecorder,
  ENDPOINT_ID,
  FORMATS,
  RawTcpPeer,
  sleep,
  tcpRelay,
  waitFor,
  exchange,
  rejection,
} from './helpers.js';

const OFFER: TcpServerOffer = {
  endpointId: ENDPOINT_ID,
  endpointName: 'studio rack',
  formats: FORMATS,
  udpAudioPort: 6910,
  capabilities: ['stats'],
};
const PSK = 'a passphrase only the two ends know';

interface Admitted {
  readonly recorder: ChannelRecorder;
  readonly hello: ClientHello;
}

/** A server on 127.0.0.1, closed (with its admitted channels) when the test ends. */
async function startServer(options: Partial<TcpControlServerOptions> = {}) {
  const admitted: Admitted[] = [];
  const server = await TcpControlServer.listen({
    host: '127.0.0.1',
    port: 0,
    admit: () => ({ admit: true }),
    offer: () => OFFER,
    onChannel: (channel, hello) => admitted.push({ recorder: new ChannelRecorder(channel), hello }),
    ...options,
  });
  onTestFinished(async () => {
    for (const { recorder } of admitted) recorder.channel.close();
    await Promise.all(admitted.map(({ recorder }) => recorder.closed));
    await server.close();
  });
  return { server, admitted };
}

/** A connected client, closed when the test ends; its channel is listened to. */
async function connectClient(port: number, options: Partial<TcpControlConnectOptions> = {}) {
  const { channel, offer } = await connectTcpControl({
    host: '127.0.0.1',
    port,
    clientId: CLIENT_ID,
    clientName: 'laptop',
    capabilities: ['stats'],
    udpAudioPort: 40_000,
    ...options,
  });
  const recorder = new ChannelRecorder(channel);
  onTestFinished(async () => {
    channel.close();
    await recorder.closed;
  });
  return { recorder, offer };
}

function helloFrame(requestId = 1, protocolVersion = CONTROL_PROTOCOL_VERSION) {
  return {
    type: 'hello',
    requestId,
    protocolVersion,
    clientId: CLIENT_ID,
    clientName: 'raw',
    capabilities: [],
    udpAudioPort: 40_001,
  } as const;
}

describe('TCP control handshake', { timeout: 15_000 }, () => {
  it('admits a client and carries session messages both ways', async () => {
    const { server, admitted } = await startServer();
    const { recorder: client, offer } = await connectClient(server.port);

    // Both offer encrypted audio by default (SECURITY.md §2).
    const capabilities = ['stats', ENCRYPTED_AUDIO_CAPABILITY];
    expect(offer).toEqual({ ...OFFER, capabilities, protocolVersion: CONTROL_PROTOCOL_VERSION });
    await waitFor('the server-side channel', () => admitted.length === 1);
    const { recorder: serverSide, hello } = admitted[0]!;
    expect(hello).toEqual({
      clientId: CLIENT_ID,
      clientName: 'laptop',
      protocolVersion: CONTROL_PROTOCOL_VERSION,
      udpAudioPort: 40_000,
      capabilities,
      address: '127.0.0.1',
      port: expect.any(Number),
    });
    expect(client.channel).toMatchObject({
      transport: 'tcp',
      reliable: true,
      peer: { address: '127.0.0.1', port: server.port },
    });

    client.channel.send({ type: 'start-io', requestId: 2 });
    expect(await serverSide.next('start-io')).toEqual({ type: 'start-io', requestId: 2 });
    serverSide.channel.send({
      type: 'start-io-result',
      requestId: 2,
      outcome: 'failure',
      reason: 'device busy',
    });
    expect(await client.next('start-io-result')).toEqual({
      type: 'start-io-result',
      requestId: 2,
      outcome: 'failure',
      reason: 'device busy',
    });
    await exchange(client, serverSide, 7);
    expect(server.stats()).toMatchObject({ connectionsAccepted: 1, handshakesCompleted: 1 });

    client.channel.send({ type: 'disconnect', reason: 'normal', text: 'bye' });
    client.channel.close();
    expect(await client.closed).toBeUndefined();
    expect(await serverSide.next('disconnect')).toEqual({
      type: 'disconnect',
      reason: 'normal',
      text: 'bye',
    });
    const error = await serverSide.closed;
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'DISCONNECTED', disconnectReason: 'normal' });
    expect([client.closedCalls, serverSide.closedCalls]).toEqual([1, 1]);
  });

  it('keeps frames that arrive before listen() and delivers them in order', async () => {
    const { server } = await startServer({
      onChannel: (channel) => {
        // Sent with the Welcome, before the client has a listener.
        channel.send({ type: 'heartbeat', sequence: 1, senderTimeUs: 10 });
        channel.send({ type: 'heartbeat', sequence: 2, senderTimeUs: 20 });
        channel.close();
      },
    });
    const { channel } = await connectTcpControl({
      host: '127.0.0.1',
      port: server.port,
      clientId: CLIENT_ID,
      clientName: 'late listener',
      udpAudioPort: 40_000,
    });
    await sleep(50);
    const recorder = new ChannelRecorder(channel);
    const error = await recorder.closed;
    expect(recorder.messages).toEqual([
      { type: 'heartbeat', sequence: 1, senderTimeUs: 10 },
      { type: 'heartbeat', sequence: 2, senderTimeUs: 20 },
    ]);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('picks version 2 for a Hello that speaks a higher version', async () => {
    const { server } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(helloFrame(1, 9));
    expect(await raw.next('welcome')).toMatchObject({ requestId: 1, protocolVersion: 2 });
  });

  it('refuses a Hello that speaks at most version 1 with Disconnect VERSION_UNSUPPORTED', async () => {
    const { server } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(helloFrame(1, 1));
    expect(await raw.next('disconnect')).toMatchObject({
      requestId: 1,
      reason: 'version-unsupported',
      text: 'this server speaks control version 2, the client at most 1',
    });
  });

  it('answers a request the server never takes with Error UNEXPECTED_MESSAGE and goes on', async () => {
    const { server, admitted } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(helloFrame());
    await raw.next('welcome');
    raw.send(helloFrame(5));
    expect(await raw.next('error')).toMatchObject({ requestId: 5, code: 'unexpected-message' });
    raw.send({ type: 'stop-io', requestId: 6 });
    await waitFor('the server-side channel', () => admitted.length === 1);
    expect(await admitted[0]!.recorder.next('stop-io')).toEqual({ type: 'stop-io', requestId: 6 });
  });

  it('passes an Error frame from the peer on as a message, and the channel goes on', async () => {
    const { server, admitted } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(helloFrame());
    await raw.next('welcome');
    raw.send({ type: 'error', requestId: 0, code: 'internal', message: 'sound card vanished' });
    await waitFor('the server-side channel', () => admitted.length === 1);
    const { recorder } = admitted[0]!;
    expect(await recorder.next('error')).toEqual({
      type: 'error',
      requestId: 0,
      code: 'internal',
      message: 'sound card vanished',
    });
    raw.send({ type: 'start-io', requestId: 4 });
    expect(await recorder.next('start-io')).toEqual({ type: 'start-io', requestId: 4 });
    expect(recorder.closedCalls).toBe(0);
  });
});

describe('TCP control authentication', { timeout: 15_000 }, () => {
  it('admits a client that holds the server key, and the server proves it holds it too', async () => {
    const { server, admitted } = await startServer({ psk: PSK });
    const { recorder, offer } = await connectClient(server.port, { psk: PSK });
    expect(offer.endpointId).toBe(ENDPOINT_ID);
    await waitFor('the server-side channel', () => admitted.length === 1);
    await exchange(recorder, admitted[0]!.recorder, 1);
    expect(server.stats()).toMatchObject({ handshakesCompleted: 1, authFailures: 0 });
  });

  it('refuses a wrong key on both sides: AUTH_FAILED for the client, counted by the server', async () => {
    const { server, admitted } = await startServer({ psk: PSK });
    const error = await rejection(
      connectClient(server.port, { psk: 'another passphrase, not the right one' }),
    );
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', disconnectReason: 'auth-failed' });
    expect(server.stats()).toMatchObject({ authFailures: 1, handshakesCompleted: 0 });
    expect(admitted).toHaveLength(0);
  });

  it('fails a client without a key when the server requires one', async () => {
    const { server } = await startServer({ psk: PSK });
    const error = await rejection(connectClient(server.port));
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error.message).toMatch(/requires a pre-shared key/);
    await waitFor('the server to see the client leave', () => {
      const stats = server.stats();
      return stats.handshakesAbandoned === 1;
    });
  });

  it('refuses a server that asks for no key when the client has one (no downgrade)', async () => {
    const { server, admitted } = await startServer();
    const error = await rejection(connectClient(server.port, { psk: PSK }));
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(error.message).toMatch(/did not ask for the pre-shared key/);
    // The server admitted it, and hears why it left at once.
    await waitFor('the server-side channel', () => admitted.length === 1);
    expect(await admitted[0]!.recorder.next('disconnect')).toMatchObject({
      reason: 'auth-failed',
    });
  });

  it('puts nothing secret on the wire', async () => {
    const { server } = await startServer({ psk: PSK });
    const relay = await tcpRelay(server.port);
    await connectClient(relay.port, { psk: PSK });
    const sent = Buffer.concat(relay.toServer);
    const received = Buffer.concat(relay.toClient);
    expect(sent.length).toBeGreaterThan(0);
    expect(received.length).toBeGreaterThan(0);
    for (const bytes of [sent, received]) {
      expect(bytes.includes(Buffer.from(PSK, 'utf8'))).toBe(false);
      // Not even a long piece of it.
      expect(bytes.includes(Buffer.from(PSK.slice(0, 8), 'utf8'))).toBe(false);
    }
  });

  it('refuses a Hello carrying auth that answers no challenge', async () => {
    const { server } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send({
      ...helloFrame(),
      auth: { clientNonce: new Uint8Array(32), mac: new Uint8Array(32) },
    });
    expect(await raw.next('disconnect')).toMatchObject({ requestId: 1, reason: 'auth-failed' });
    await raw.closed;
    expect(server.stats().authFailures).toBe(1);
  });
});

describe('TCP control refusals and timeouts', { timeout: 15_000 }, () => {
  it('sends an admit() refusal as Disconnect, and the client rejects with REFUSAL', async () => {
    const { server } = await startServer({
      admit: () => ({ admit: false, reason: 'busy', text: 'two sessions at most' }),
    });
    const error = await rejection(connectClient(server.port));
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({
      code: 'REFUSAL',
      retryable: false,
      disconnectReason: 'busy',
      reason: 'two sessions at most',
    });
    expect(server.stats().refused.busy).toBe(1);
  });

  it('closes a peer that connects and sends nothing, and counts it', async () => {
    const { server } = await startServer({ handshakeTimeoutMs: 200 });
    const raw = await RawTcpPeer.connect(server.port);
    await raw.closed;
    expect(raw.frames).toEqual([
      { type: 'disconnect', requestId: 0, reason: 'timeout', text: 'no handshake within 200 ms' },
    ]);
    expect(server.stats().handshakeTimeouts).toBe(1);
  });

  it('times out a client whose server never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const port = (silent.address() as AddressInfo).port;
    const error = await rejection(connectClient(port, { handshakeTimeoutMs: 200 }));
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('rejects with CONNECT_FAILED, naming the address, when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejection(connectClient(port));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects with ADDRESS_IN_USE when the port is taken', async () => {
    const { server } = await startServer();
    const error = await rejection(startServer({ port: server.port }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
  });

  it('resolves close() while an admitted channel is still open, which keeps working', async () => {
    const { server, admitted } = await startServer();
    const { recorder } = await connectClient(server.port);
    const pending = await RawTcpPeer.connect(server.port);
    await waitFor('the server-side channel', () => admitted.length === 1);
    await server.close();
    await pending.closed;
    await exchange(recorder, admitted[0]!.recorder, 3);
  });
});

describe('TCP control bad input', { timeout: 15_000 }, () => {
  /** A server with one admitted client, to check that bad input elsewhere leaves it alone. */
  async function serverWithClient(options: Partial<TcpControlServerOptions> = {}) {
    const { server, admitted } = await startServer(options);
    const { recorder } = await connectClient(server.port);
    await waitFor('the server-side channel', () => admitted.length === 1);
    return { server, client: recorder, serverSide: admitted[0]!.recorder, admitted };
  }

  it('closes a connection announcing a 4 GB frame, counts TOO_LARGE, and others go on', async () => {
    const { server, client, serverSide } = await serverWithClient();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f));
    await raw.closed;
    expect(raw.frames).toEqual([
      expect.objectContaining({ type: 'disconnect', reason: 'protocol-error' }),
    ]);
    expect(server.stats().decodeErrors.TOO_LARGE).toBe(1);
    await exchange(client, serverSide, 11);
  });

  it('counts a frame cut short by the end of the stream', async () => {
    const { server, client, serverSide } = await serverWithClient();
    const raw = await RawTcpPeer.connect(server.port);
    const hello = encodeControlFrame(helloFrame());
    raw.socket.end(hello.subarray(0, hello.length - 3));
    await raw.closed;
    expect(server.stats()).toMatchObject({
      decodeErrors: expect.objectContaining({ TRUNCATED: 1 }),
      handshakesCompleted: 1,
    });
    await exchange(client, serverSide, 12);
  });

  it('answers garbage with Disconnect PROTOCOL_ERROR and counts it by code', async () => {
    const { server, client, serverSide } = await serverWithClient();
    const raw = await RawTcpPeer.connect(server.port);
    // 'G' reads as a 71-byte frame: the request must be longer for its protobuf to fail (a
    // shorter one is waited for until the handshake timeout ends it).
    const request =
      'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nConnection: close\r\n\r\n';
    expect(request.length).toBeGreaterThan(72);
    raw.send(Buffer.from(request));
    await raw.closed;
    expect(raw.frames).toEqual([
      expect.objectContaining({ type: 'disconnect', reason: 'protocol-error' }),
    ]);
    const { decodeErrors } = server.stats();
    expect(Object.values(decodeErrors).reduce((a, b) => a + b)).toBe(1);
    await exchange(client, serverSide, 13);
  });

  it('rejects a Hello with protocol version 0 as BAD_FIELD', async () => {
    const { server } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    // ControlFrame { request_id: 1, hello: { protocol_version: 0, client_id: 16 bytes,
    // udp_audio_port: 1 } }, built by hand: the encoder refuses version 0.
    const hello = [0x08, 0x00, 0x12, 0x10, ...new Array<number>(16).fill(7), 0x28, 0x01];
    const body = [0x08, 0x01, 0x52, hello.length, ...hello];
    raw.send(Uint8Array.from([body.length, ...body]));
    expect(await raw.next('disconnect')).toMatchObject({ reason: 'protocol-error' });
    expect(server.stats().decodeErrors.BAD_FIELD).toBe(1);
  });

  it('ends a handshake that starts with anything but Hello', async () => {
    const { server } = await startServer();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send({ type: 'start-io', requestId: 1 });
    expect(await raw.next('disconnect')).toMatchObject({ reason: 'protocol-error' });
    await raw.closed;
    expect(server.stats().protocolErrors).toBe(1);
  });

  it('drops a connection whose answer throws, counts it, and admits the next', async () => {
    const reports: PeerInputError[] = [];
    let failing = true;
    const { server, admitted } = await startServer({
      offer: () => {
        if (failing) throw new Error('the offer broke');
        return OFFER;
      },
      onInputError: (report) => reports.push(report),
    });
    const failed = await rejection(connectClient(server.port));
    expect(failed).toBeInstanceOf(NetworkError);
    expect(server.stats().handlerErrors).toBe(1);
    expect(reports).toEqual([
      {
        plane: 'tcp',
        peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        error: expect.objectContaining({ message: 'the offer broke' }),
      },
    ]);
    failing = false;
    const { recorder } = await connectClient(server.port);
    await waitFor('the server-side channel', () => admitted.length === 1);
    await exchange(recorder, admitted[0]!.recorder, 3);
    expect(server.stats()).toMatchObject({ handlerErrors: 1, handshakesCompleted: 1 });
  });

  it('drops connections beyond maxPendingHandshakes while an admitted channel goes on', async () => {
    const { server, client, serverSide } = await serverWithClient({
      maxPendingHandshakes: 16,
      handshakeTimeoutMs: 20_000,
    });
    // 100 sources, one connection each: only the global limit applies.
    const flood = await Promise.all(
      Array.from({ length: 100 }, (_, i) => RawTcpPeer.connect(server.port, `127.0.2.${i + 1}`)),
    );
    await waitFor('every flood connection accepted', () => {
      return server.stats().connectionsAccepted === 101;
    });
    expect(server.stats().droppedTooManyPending).toBe(84);
    expect(server.stats().droppedTooManyPendingFromSource).toBe(0);
    await exchange(client, serverSide, 14);
    for (const raw of flood) raw.socket.destroy();
    await Promise.all(flood.map((raw) => raw.closed));
  });

  it('holds at most maxPendingHandshakesPerSource from one source; other sources get through', async () => {
    const { server } = await startServer({
      maxPendingHandshakes: 16,
      maxPendingHandshakesPerSource: 4,
      handshakeTimeoutMs: 20_000,
    });
    // 127.0.0.2 holds 100 silent handshakes open, far past the global limit.
    const flood = await Promise.all(
      Array.from({ length: 100 }, () => RawTcpPeer.connect(server.port, '127.0.0.2')),
    );
    await waitFor('every flood connection accepted', () => {
      return server.stats().connectionsAccepted === 100;
    });
    expect(server.stats()).toMatchObject({
      droppedTooManyPendingFromSource: 96,
      droppedTooManyPending: 0,
    });
    // Clients from 127.0.0.1 complete their handshakes all the same.
    for (let i = 0; i < 12; i++) await connectClient(server.port);
    expect(server.stats().handshakesCompleted).toBe(12);
    // A source's slots come back as its handshakes end.
    for (const raw of flood) raw.socket.destroy();
    await Promise.all(flood.map((raw) => raw.closed));
    await waitFor('the flood handshakes to end', () => server.stats().handshakesAbandoned === 4);
    const again = await RawTcpPeer.connect(server.port, '127.0.0.2');
    again.send(helloFrame());
    expect(await again.next('welcome')).toMatchObject({ type: 'welcome' });
  });

  it('drops an admitted peer that asks and never reads the answers, and others go on', async () => {
    const { server, client, serverSide, admitted } = await serverWithClient();
    const raw = await RawTcpPeer.connect(server.port);
    raw.send(helloFrame());
    await raw.next('welcome');
    // Each Hello after Welcome is answered with an Error frame, which this peer leaves unread:
    // kernel buffers fill, then the server's own would grow without bound.
    raw.socket.pause();
    const batch = Buffer.concat(
      Array.from({ length: 1000 }, () => encodeControlFrame(helloFrame(2))),
    );
    let closed = false;
    void raw.closed.then(() => (closed = true));
    // 400,000 Errors (about 20 MB) are far more than kernel buffers and MAX_UNSENT_BYTES hold.
    for (let batches = 0; !closed && batches < 400; batches++) {
      if (!raw.socket.write(batch)) {
        // Listened for only when needed: a listener per batch would pile up unfired.
        const drained = new Promise((resolve) => raw.socket.once('drain', resolve));
        await Promise.race([drained, raw.closed]);
      }
    }
    expect(closed).toBe(true);
    const lost = await admitted[1]!.recorder.closed;
    expect(lost?.message).toMatch(/not reading/);
    await exchange(client, serverSide, 15);
  });
});

/** Every byte `socket` receives until it closes. */
function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
}

/** The frames of a control version 1 stream: each a 4-byte little-endian length, then a body. */
function version1Frames(bytes: Buffer): ControlMessage[] {
  const frames: ControlMessage[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32LE(at);
    frames.push(decodeControlMessage(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return frames;
}

describe(
  'TCP control meeting a control version 1 peer (4-byte framing)',
  { timeout: 15_000 },
  () => {
    it('refuses a version 1 client in its own framing, with VERSION_UNSUPPORTED, and counts it', async () => {
      const { server } = await startServer();
      const socket = connect({ host: '127.0.0.1', port: server.port });
      const received = readAll(socket);
      socket.write(encodeVersion1ControlFrame(helloFrame(1, 1)));
      expect(version1Frames(await received)).toEqual([
        {
          type: 'disconnect',
          requestId: 0,
          reason: 'version-unsupported',
          text: expect.stringMatching(
            /speaks control version 2 only .*: upgrade syfala on your side/,
          ),
        },
      ]);
      expect(server.stats().decodeErrors.BAD_VERSION).toBe(1);
    });

    it('fails against a version 1 server with one sentence naming the versions, not a hang', async () => {
      // What a version 1 server did with a varint-framed Hello: its first 4 bytes, read as a
      // little-endian length, are far above 64 KiB, so it answered Disconnect PROTOCOL_ERROR in
      // its own framing and closed.
      const sockets: Socket[] = [];
      const old = createServer((socket) => {
        sockets.push(socket);
        socket.once('data', (chunk: Buffer) => {
          const text = `control frame: length prefix announces ${chunk.readUInt32LE(0)} bytes, above the 65536-byte maximum`;
          const reply = {
            type: 'disconnect',
            requestId: 0,
            reason: 'protocol-error',
            text,
          } as const;
          socket.end(encodeVersion1ControlFrame(reply));
        });
      });
      await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
      onTestFinished(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => old.close(resolve));
      });
      const { port } = old.address() as AddressInfo;
      const error = await rejection(
        connectTcpControl({
          host: '127.0.0.1',
          port,
          clientId: CLIENT_ID,
          clientName: 'laptop',
          capabilities: [],
          udpAudioPort: 40_000,
        }),
      );
      expect(error).toBeInstanceOf(ControlError);
      expect(error).toMatchObject({ code: 'REFUSAL', disconnectReason: 'version-unsupported' });
      expect((error as Error).message).toBe(
        `control server at 127.0.0.1:${port} speaks control version 1 (4-byte length prefixes); this client speaks version 2 only: upgrade the server`,
      );
    });
  },
);

describe('TCP control client errors', { timeout: 15_000 }, () => {
  it('rejects a broken frame from the server with its DecodeError', async () => {
    const sockets = new Set<Socket>();
    const broken = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.write(Uint8Array.of(0, 0, 0, 0));
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => broken.close(resolve));
    });
    const error = await rejection(connectClient((broken.address() as AddressInfo).port));
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ code: 'BAD_FIELD' });
  });
});
