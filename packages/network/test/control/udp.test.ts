import type { Socket } from 'node:dgram';
import { PROTOCOL_VERSION, decodeServerMessage, encode, isId } from '@syfala/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ClientHello } from '../../src/control/channel.js';
import { connectUdpControl, type UdpControlConnectOptions } from '../../src/control/udp-client.js';
import type { UdpControlChannel } from '../../src/control/udp-channel.js';
import {
  UdpControlServer,
  type UdpControlServerOptions,
  type UdpServerOffer,
} from '../../src/control/udp-server.js';
import { ControlError, NetworkError } from '../../src/errors.js';
import type { PeerInputError } from '../../src/guard.js';
import {
  ChannelRecorder,
  ENDPOINT_ID,
  FORMATS,
  sleep,
  tagOf,
  udpRelay,
  udpSocket,
  waitFor,
  exchange,
  rejection,
} from './helpers.js';

const OFFER: UdpServerOffer = {
  endpointId: ENDPOINT_ID,
  name: 'embedded board',
  controlPort: 0,
  formats: FORMATS,
};

interface Admitted {
  readonly recorder: ChannelRecorder;
  readonly hello: ClientHello;
}

/**
 * A server on 127.0.0.1 whose sessions confirm each connection with a first heartbeat at once
 * (PROTOCOL.md §6), unless `confirm` is false. Closed when the test ends.
 */
async function startServer(options: Partial<UdpControlServerOptions> = {}, confirm = true) {
  const admitted: Admitted[] = [];
  const server = await UdpControlServer.bind({
    host: '127.0.0.1',
    port: 0,
    offer: () => OFFER,
    admit: () => ({ admit: true }),
    onChannel: (channel, hello) => {
      admitted.push({ recorder: new ChannelRecorder(channel), hello });
      if (confirm) channel.send({ type: 'heartbeat', sequence: 0, senderTimeUs: 0 });
    },
    ...options,
  });
  onTestFinished(async () => {
    for (const { recorder } of admitted) recorder.channel.close();
    await Promise.all(admitted.map(({ recorder }) => recorder.closed));
    await server.close();
  });
  return { server, admitted };
}

async function connectClient(port: number, options: Partial<UdpControlConnectOptions> = {}) {
  const { channel, offer } = await connectUdpControl({
    host: '127.0.0.1',
    port,
    retransmitMs: 50,
    ...options,
  });
  const recorder = new ChannelRecorder(channel);
  onTestFinished(async () => {
    channel.close();
    await recorder.closed;
  });
  return { recorder, offer };
}

/** A client connected through its own socket, and the server side of its channel. */
async function connectedPair(port: number, admitted: Admitted[]) {
  const shared = await udpSocket();
  const { recorder } = await connectClient(port, { socket: shared.socket });
  await waitFor('the server-side channel', () => admitted.length > 0);
  return { shared, client: recorder, serverSide: admitted[admitted.length - 1]!.recorder };
}

function withVersion(datagram: Uint8Array, version: number): Uint8Array {
  const copy = Uint8Array.from(datagram);
  copy[3] = version;
  return copy;
}

function send(socket: Socket, datagram: Uint8Array, port: number): void {
  socket.send(datagram, port, '127.0.0.1');
}

const AUDIO = encode({
  type: 'audio',
  streamIndex: 0,
  byteIndex: 0,
  payload: Uint8Array.of(1, 2, 3, 4),
});
const SEALED_AUDIO = encode({
  type: 'sealed-audio',
  streamIndex: 0,
  byteIndex: 0,
  keyId: 0,
  copy: 0,
  sealed: new Uint8Array(4 + 16),
});

describe('UDP control handshake', { timeout: 15_000 }, () => {
  it('connects and carries session messages both ways', async () => {
    const { server, admitted } = await startServer();
    const { recorder: client, offer } = await connectClient(server.port);
    expect(offer).toEqual({
      endpointId: ENDPOINT_ID,
      endpointName: 'embedded board',
      formats: FORMATS,
      protocolVersion: PROTOCOL_VERSION,
      udpAudioPort: server.port,
      capabilities: [],
    });
    expect(client.channel).toMatchObject({
      transport: 'udp',
      reliable: false,
      peer: { address: '127.0.0.1', port: server.port },
    });
    // The confirming heartbeat is the session's first message.
    expect(await client.next('heartbeat')).toEqual({
      type: 'heartbeat',
      sequence: 0,
      senderTimeUs: 0,
    });

    await waitFor('the server-side channel', () => admitted.length === 1);
    const { recorder: serverSide, hello } = admitted[0]!;
    expect(hello).toMatchObject({
      clientName: `127.0.0.1:${hello.port}`,
      protocolVersion: PROTOCOL_VERSION,
      udpAudioPort: hello.port,
      capabilities: [],
      address: '127.0.0.1',
    });
    expect(isId(hello.clientId)).toBe(true);

    client.channel.send({ type: 'start-io', requestId: 1 });
    expect(await serverSide.next('start-io')).toEqual({ type: 'start-io', requestId: 1 });
    serverSide.channel.send({
      type: 'start-io-result',
      requestId: 1,
      outcome: 'ok',
      reason: 'not carried over UDP',
    });
    expect(await client.next('start-io-result')).toEqual({
      type: 'start-io-result',
      requestId: 1,
      outcome: 'ok',
      reason: '',
    });
    await exchange(client, serverSide, 5);

    client.channel.send({ type: 'disconnect', reason: 'normal', text: 'not carried' });
    client.channel.close();
    expect(await client.closed).toBeUndefined();
    expect(await serverSide.next('disconnect')).toEqual({
      type: 'disconnect',
      reason: 'normal',
      text: '',
    });
    expect(await serverSide.closed).toMatchObject({
      code: 'DISCONNECTED',
      disconnectReason: 'normal',
    });
    expect(server.stats().handshakesCompleted).toBe(1);
  });

  it('connects when the first CRES is lost, by sending it again', async () => {
    const { server } = await startServer();
    let results = 0;
    const relay = await udpRelay(server.port, (datagram, direction) => {
      if (direction !== 'toServer' || tagOf(datagram) !== 'CRES') return false;
      results++;
      return results === 1;
    });
    await connectClient(relay.port);
    expect(results).toBeGreaterThanOrEqual(2);
    expect(server.stats().handshakesCompleted).toBe(1);
  });

  it('connects when the first DSCV is lost, by sending it again', async () => {
    const { server } = await startServer();
    let beacons = 0;
    const relay = await udpRelay(server.port, (datagram, direction) => {
      if (direction !== 'toServer' || tagOf(datagram) !== 'DSCV') return false;
      beacons++;
      return beacons === 1;
    });
    await connectClient(relay.port);
    expect(beacons).toBeGreaterThanOrEqual(2);
    expect(server.stats().handshakesCompleted).toBe(1);
  });

  it('times out when nobody answers, after maxAttempts beacons', async () => {
    const silent = await udpSocket();
    const error = await rejection(connectClient(silent.port, { retransmitMs: 20, maxAttempts: 3 }));
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(silent.received.map(({ datagram }) => tagOf(datagram))).toEqual([
      'DSCV',
      'DSCV',
      'DSCV',
    ]);
  });

  it('times out when the server never confirms, and tells it so', async () => {
    const { server, admitted } = await startServer({}, false);
    const error = await rejection(connectClient(server.port, { retransmitMs: 30, maxAttempts: 3 }));
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(error.message).toMatch(/did not confirm/);
    // The DCON left after the last CRES, so once it is in, every CRES has been counted.
    expect(await admitted[0]!.recorder.next('disconnect')).toMatchObject({ reason: 'timeout' });
    expect(server.stats()).toMatchObject({ handshakesCompleted: 1, duplicateResults: 2 });
  });

  it('rejects with REFUSAL when admit() refuses, deciding once even if the DCON is lost', async () => {
    let asked = 0;
    const { server } = await startServer({
      admit: () => {
        asked++;
        return { admit: false, reason: 'busy', text: 'ignored over UDP' };
      },
    });
    let refusals = 0;
    const relay = await udpRelay(server.port, (datagram, direction) => {
      if (direction !== 'toClient' || tagOf(datagram) !== 'DCON') return false;
      refusals++;
      return refusals === 1;
    });
    const error = await rejection(connectClient(relay.port));
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'REFUSAL', retryable: false, disconnectReason: 'busy' });
    expect(asked).toBe(1);
    const stats = server.stats();
    expect(stats).toMatchObject({
      refused: expect.objectContaining({ busy: 1 }),
      handshakesCompleted: 0,
    });
    expect(stats.duplicateResults).toBeGreaterThanOrEqual(1);
  });

  it('refuses UDP control with AUTH_FAILED when the server has a key', async () => {
    const { server, admitted } = await startServer({ psk: 'a passphrase only the two ends know' });
    const error = await rejection(connectClient(server.port));
    expect(error).toMatchObject({ code: 'AUTH_FAILED', disconnectReason: 'auth-failed' });
    expect(server.stats().authFailures).toBe(1);
    expect(admitted).toHaveLength(0);
  });

  it('answers an offer its accept() policy refuses with CRES refusal', async () => {
    const { server } = await startServer();
    const error = await rejection(
      connectClient(server.port, {
        accept: (offer) => ({
          admit: false,
          reason: 'format-unsupported',
          text: `no i24 here (${offer.formats.outputs.length} output)`,
        }),
      }),
    );
    expect(error).toMatchObject({
      code: 'REFUSAL',
      disconnectReason: 'format-unsupported',
      reason: 'no i24 here (1 output)',
    });
    await waitFor('the declined offer', () => server.stats().offersDeclined === 1);
  });

  it('reports the range of a server that speaks other versions', async () => {
    const fake = await udpSocket();
    fake.socket.on('message', (_datagram, from) =>
      fake.socket.send(
        withVersion(encode({ type: 'version-not-supported', minVersion: 2, maxVersion: 3 }), 2),
        from.port,
        from.address,
      ),
    );
    const error = await rejection(connectClient(fake.port));
    expect(error).toMatchObject({ code: 'REFUSAL', disconnectReason: 'version-unsupported' });
    expect(error.message).toMatch(/versions 2 to 3/);
  });

  it('rejects with ADDRESS_IN_USE when the port is taken', async () => {
    const { server } = await startServer();
    const error = await rejection(startServer({ port: server.port }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
  });
});

describe('UDP control channels', { timeout: 15_000 }, () => {
  it('leaves a shared socket open when its channel closes', async () => {
    const { server } = await startServer();
    const shared = await udpSocket();
    const { recorder } = await connectClient(server.port, { socket: shared.socket });
    recorder.channel.close();
    await recorder.closed;
    const echo = await udpSocket();
    send(shared.socket, Uint8Array.of(42), echo.port);
    await waitFor('a datagram through the shared socket', () => echo.received.length === 1);
  });

  it('ends a channel on DCON from the server; the server then forgets the peer', async () => {
    const { server, admitted } = await startServer();
    const { shared, client, serverSide } = await connectedPair(server.port, admitted);
    serverSide.channel.send({ type: 'disconnect', reason: 'shutdown', text: '' });
    serverSide.channel.close();
    expect(await client.next('disconnect')).toEqual({
      type: 'disconnect',
      reason: 'shutdown',
      text: '',
    });
    expect(await client.closed).toMatchObject({
      code: 'DISCONNECTED',
      disconnectReason: 'shutdown',
    });
    send(shared.socket, encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 1 }), server.port);
    await waitFor('the forgotten peer counted', () => server.stats().unknownPeer === 1);
  });

  it('closes its channels with CONNECTION_CLOSED when the server closes', async () => {
    const { server, admitted } = await startServer();
    const { serverSide } = await connectedPair(server.port, admitted);
    await server.close();
    const error = await serverSide.closed;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('passes audio from a connected peer to onAudio, undecoded', async () => {
    const audio: { datagram: Buffer; channel: UdpControlChannel }[] = [];
    const { server, admitted } = await startServer({
      onAudio: (datagram, channel) => audio.push({ datagram: Buffer.from(datagram), channel }),
    });
    const { shared, serverSide } = await connectedPair(server.port, admitted);
    send(shared.socket, AUDIO, server.port);
    send(shared.socket, SEALED_AUDIO, server.port);
    await waitFor('the audio datagrams', () => audio.length === 2);
    expect(audio.map((a) => a.datagram)).toEqual([Buffer.from(AUDIO), Buffer.from(SEALED_AUDIO)]);
    expect(audio[0]!.channel).toBe(serverSide.channel);
    const stranger = await udpSocket();
    send(stranger.socket, AUDIO, server.port);
    await waitFor('audio from a stranger counted', () => server.stats().unknownPeer === 1);
    expect(server.stats()).toMatchObject({ audioDelivered: 2, audioDropped: 0 });
  });

  it('counts audio it has nowhere to send', async () => {
    const { server, admitted } = await startServer();
    const { shared } = await connectedPair(server.port, admitted);
    send(shared.socket, AUDIO, server.port);
    await waitFor('the dropped audio', () => server.stats().audioDropped === 1);
  });
});

describe('UDP control bad input', { timeout: 15_000 }, () => {
  it('counts garbage and strangers while a connected channel goes on', async () => {
    const { server, admitted } = await startServer();
    const { client, serverSide } = await connectedPair(server.port, admitted);
    const stranger = await udpSocket();
    const garbage: Uint8Array[] = [
      Buffer.from('hi'), // TRUNCATED
      Buffer.from('NOTSYFALA'), // BAD_MAGIC
      encode({ type: 'start-io-result', requestId: 1, outcome: 'ok' }), // a server's: UNKNOWN_TAG
      Uint8Array.from([...encode({ type: 'start-io', requestId: 1 }), 0]), // LENGTH_MISMATCH
      encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 1 }), // unknown peer
      encode({ type: 'stop-io', requestId: 3 }), // unknown peer
      encode({ type: 'connection-result', outcome: 'ok' }), // no offer
    ];
    for (const datagram of garbage) send(stranger.socket, datagram, server.port);
    await waitFor('every datagram counted', () => {
      const { decodeErrors, unknownPeer, unofferedResults } = server.stats();
      const rejected = Object.values(decodeErrors).reduce((a, b) => a + b);
      return rejected + unknownPeer + unofferedResults === garbage.length;
    });
    const stats = server.stats();
    expect(stats.decodeErrors).toMatchObject({
      TRUNCATED: 1,
      BAD_MAGIC: 1,
      UNKNOWN_TAG: 1,
      LENGTH_MISMATCH: 1,
    });
    expect(stats).toMatchObject({ unknownPeer: 2, unofferedResults: 1 });
    expect(stranger.received).toEqual([]);
    await exchange(client, serverSide, 9);
    expect(serverSide.messages.filter((m) => m.type !== 'heartbeat')).toEqual([]);
  });

  it('drops a beacon whose answer cannot be encoded, counts it, and goes on', async () => {
    const reports: PeerInputError[] = [];
    // A name the CONN offer cannot carry (256 bytes): encoding the answer throws.
    let name = 'n'.repeat(256);
    const { server, admitted } = await startServer({
      offer: () => ({ ...OFFER, name }),
      onInputError: (report) => reports.push(report),
    });
    const beaconer = await udpSocket();
    send(beaconer.socket, encode({ type: 'discovery' }), server.port);
    await waitFor('the error counted', () => server.stats().handlerErrors === 1);
    const { address, port } = beaconer.socket.address();
    expect(reports).toEqual([
      {
        plane: 'udp',
        peer: `${address}:${port}`,
        error: expect.objectContaining({ name: 'ValueError', code: 'BAD_FIELD' }),
      },
    ]);
    expect(beaconer.received).toEqual([]);
    name = OFFER.name;
    const { client, serverSide } = await connectedPair(server.port, admitted);
    await exchange(client, serverSide, 5);
    expect(server.stats().handlerErrors).toBe(1);
  });

  it('rate-limits a DSCV flood from many ports while a connected channel goes on', async () => {
    const { server, admitted } = await startServer();
    const { client, serverSide } = await connectedPair(server.port, admitted);
    const before = server.stats();
    const flood = await Promise.all(Array.from({ length: 200 }, () => udpSocket()));
    const started = Date.now();
    const beacon = encode({ type: 'discovery' });
    // In bursts, so the server's receive buffer (not the rate limit) never drops any.
    for (let i = 0; i < flood.length; i += 20) {
      for (const { socket } of flood.slice(i, i + 20)) send(socket, beacon, server.port);
      await sleep(2);
    }
    const beaconsSince = () => {
      const stats = server.stats();
      return {
        answered: stats.offersSent - before.offersSent,
        limited: stats.discoveryRateLimited - before.discoveryRateLimited,
      };
    };
    await waitFor('every beacon counted', () => {
      const { answered, limited } = beaconsSince();
      return answered + limited === flood.length;
    });
    const elapsedS = (Date.now() - started) / 1000;
    const { answered, limited } = beaconsSince();
    // 20 at once per source address (all 127.0.0.1 here), then 10 a second.
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(10 * elapsedS));
    expect(limited).toBeGreaterThanOrEqual(100);
    await waitFor(
      'the offers received',
      () => flood.reduce((sum, { received }) => sum + received.length, 0) === answered,
    );
    await exchange(client, serverSide, 21);
  });

  it('answers a datagram of another version with VERS, at most once a second per address', async () => {
    const { server } = await startServer();
    const stranger = await udpSocket();
    const beacon = withVersion(encode({ type: 'discovery' }), 2);
    for (let i = 0; i < 3; i++) send(stranger.socket, beacon, server.port);
    await waitFor('three bad versions', () => server.stats().decodeErrors.BAD_VERSION === 3);
    await waitFor('one VERS', () => stranger.received.length === 1);
    expect(decodeServerMessage(stranger.received[0]!.datagram)).toEqual({
      type: 'version-not-supported',
      minVersion: 1,
      maxVersion: 1,
    });
    expect(server.stats()).toMatchObject({ versionRepliesSent: 1, versionRepliesLimited: 2 });

    // Audio is never answered, whatever its version.
    send(stranger.socket, withVersion(AUDIO, 2), server.port);
    send(stranger.socket, withVersion(SEALED_AUDIO, 2), server.port);
    await sleep(1100);
    send(stranger.socket, beacon, server.port);
    await waitFor('a second VERS a second later', () => stranger.received.length === 2);
    expect(server.stats()).toMatchObject({
      decodeErrors: expect.objectContaining({ BAD_VERSION: 6 }),
      versionRepliesSent: 2,
      versionRepliesLimited: 2,
    });
  });
});
