import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION,
  ControlFrameDecoder,
  ENCRYPTED_AUDIO_CAPABILITY,
  KEY_IDS_PER_RUN,
  KeyShare,
  encodeControlFrame,
  type AudioRunKeys,
  type ControlMessage,
} from '@syfala/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PresharedKey, randomNonce } from '../../src/control/auth.js';
import { connectTcpControl } from '../../src/control/tcp-client.js';
import {
  ControlError,
  MAX_IO_RUNS,
  type ServerSession,
  type SyfalaServer,
} from '../../src/index.js';
import {
  CLIENT_ID,
  ChannelRecorder,
  ENDPOINT_ID,
  FORMATS,
  rejection,
  tcpRelay,
  waitFor,
} from '../control/helpers.js';
import { connectTo, startServer } from './fixtures.js';

const PSK = 'a passphrase only the two ends know';

/** A server whose startIo keeps the audio keys each run got, as the daemon hands them on. */
async function keyRecordingServer(options: Parameters<typeof startServer>[0] = {}) {
  const runs: (AudioRunKeys | undefined)[] = [];
  const server = await startServer({
    io: { startIo: (session: ServerSession) => void runs.push(session.audioSecurity) },
    ...options,
  });
  return { server, runs };
}

/** The client's keys for its first run and the server's for the same run. */
async function firstRun(server: SyfalaServer, runs: (AudioRunKeys | undefined)[], psk?: string) {
  const connected = await connectTo(server, 'tcp', psk === undefined ? {} : { psk });
  const streaming = await connected.startIo();
  return { client: streaming.audioSecurity, server: runs.at(-1), connected: streaming };
}

/** A swapped share: the proxy's own, so that it could complete both exchanges. */
function swapShares(): (message: ControlMessage) => ControlMessage {
  const mitm = new KeyShare();
  return (message) =>
    (message.type === 'hello' || message.type === 'welcome') && message.keyShare !== undefined
      ? { ...message, keyShare: mitm.share }
      : message;
}

/** A proxy that takes encrypted audio out of Hellos (or Welcomes): no capability, no share. */
function strip(type: 'hello' | 'welcome'): (message: ControlMessage) => ControlMessage {
  return (message) => {
    if (message.type !== type) return message;
    const stripped = {
      ...message,
      capabilities: message.capabilities.filter((name) => name !== ENCRYPTED_AUDIO_CAPABILITY),
    };
    delete stripped.keyShare;
    return stripped;
  };
}

describe('encrypted audio: keys from the TCP handshake', { timeout: 20_000 }, () => {
  it('gives both sides the same secrets, each sending its own direction, fresh per connection', async () => {
    const { server, runs } = await keyRecordingServer();
    const first = await firstRun(server, runs);
    expect(first.connected.encrypted).toBe(true);
    expect(server.sessions[0]!.encrypted).toBe(true);
    expect(first.client).toMatchObject({ sendDirection: 'client-to-server', firstKeyId: 0 });
    expect(first.server).toMatchObject({ sendDirection: 'server-to-client', firstKeyId: 0 });
    expect(first.client!.sendSecret).toHaveLength(32);
    expect(first.client!.sendSecret).toEqual(first.server!.receiveSecret);
    expect(first.client!.receiveSecret).toEqual(first.server!.sendSecret);
    expect(first.client!.sendSecret).not.toEqual(first.client!.receiveSecret);

    const second = await firstRun(server, runs);
    expect(second.client!.sendSecret).toEqual(second.server!.receiveSecret);
    expect(second.client!.sendSecret).not.toEqual(first.client!.sendSecret);
    expect(second.client!.receiveSecret).not.toEqual(first.client!.receiveSecret);
  });

  it('binds the keys to the pre-shared key, and never shows a secret or the key in JSON', async () => {
    const { server, runs } = await keyRecordingServer({ psk: PSK });
    const run = await firstRun(server, runs, PSK);
    expect(run.client!.sendSecret).toEqual(run.server!.receiveSecret);
    const session = server.sessions[0]!;
    expect(session.channel.audioKeys?.authenticated).toBe(true);
    const shown = JSON.stringify({ session: session.channel, keys: session.channel.audioKeys });
    const hex = Buffer.from(run.client!.sendSecret).toString('hex');
    expect(shown).not.toContain(hex);
    expect(shown).not.toContain(JSON.stringify(Array.from(run.client!.sendSecret)).slice(1, -1));
    expect(shown).not.toContain(PSK);
  });

  it('with a PSK, fails with AUTH_FAILED through a man in the middle that swaps the key shares', async () => {
    const { server } = await keyRecordingServer({ psk: PSK });
    const proxy = await tcpRelay(server.controlPort, undefined, swapShares());
    const error = await rejection(
      connectTo(server, 'tcp', { psk: PSK }, { controlPort: proxy.port }),
    );
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect(server.stats().tcp?.authFailures).toBe(1);
    expect(server.sessions).toHaveLength(0);
  });

  it.each(['hello', 'welcome'] as const)(
    'with a PSK, fails with AUTH_FAILED when a man in the middle strips encryption from the %s',
    async (type) => {
      const { server } = await keyRecordingServer({ psk: PSK });
      const proxy = await tcpRelay(server.controlPort, undefined, strip(type));
      const error = await rejection(
        connectTo(server, 'tcp', { psk: PSK }, { controlPort: proxy.port }),
      );
      expect(error).toMatchObject({ code: 'AUTH_FAILED' });
      // Stripped from the Hello, the server's check fails; from the Welcome, the client's.
      expect(error.message).toMatch(type === 'hello' ? /refused.*auth-failed/ : /failed to prove/);
    },
  );

  it('without a PSK, a share-swapping man in the middle gets through, with other keys on each side', async () => {
    // The documented limit (SECURITY.md §1): nothing authenticates a server without a PSK.
    const { server, runs } = await keyRecordingServer();
    const proxy = await tcpRelay(server.controlPort, undefined, swapShares());
    const connected = await connectTo(server, 'tcp', {}, { controlPort: proxy.port });
    const streaming = await connected.startIo();
    expect(streaming.encrypted).toBe(true);
    expect(streaming.audioSecurity!.sendSecret).not.toEqual(runs[0]!.receiveSecret);
  });

  it('ends the handshake with PROTOCOL_ERROR on a low-order key share', async () => {
    const { server } = await keyRecordingServer();
    // The all-zero point gives the all-zero X25519 secret (RFC 7748 §6.1).
    const proxy = await tcpRelay(server.controlPort, undefined, (message) =>
      message.type === 'hello' && message.keyShare !== undefined
        ? { ...message, keyShare: new Uint8Array(32) }
        : message,
    );
    const error = await rejection(connectTo(server, 'tcp', {}, { controlPort: proxy.port }));
    expect(error).toMatchObject({ code: 'REFUSAL', disconnectReason: 'protocol-error' });
    expect(error.message).toMatch(/low-order/);
    expect(server.stats().tcp?.protocolErrors).toBe(1);
  });
});

describe('encrypted audio: turned off on either side', { timeout: 20_000 }, () => {
  it.each([
    ['the client', {}, { encryption: false }],
    ['the server', { encryption: false }, {}],
    ['both, with a PSK', { encryption: false, psk: PSK }, { encryption: false, psk: PSK }],
  ])('clear audio when %s turns it off', async (_who, serverOptions, clientOptions) => {
    const { server, runs } = await keyRecordingServer(serverOptions);
    const connected = await connectTo(server, 'tcp', clientOptions);
    expect(connected.encrypted).toBe(false);
    expect(connected.offer.capabilities).not.toContain(ENCRYPTED_AUDIO_CAPABILITY);
    let prepared: unknown = 'never';
    const streaming = await connected.startIo({ prepare: (keys) => void (prepared = keys) });
    expect(prepared).toBeUndefined();
    expect(streaming.audioSecurity).toBeUndefined();
    expect(runs).toEqual([undefined]);
    expect(server.sessions[0]!.encrypted).toBe(false);
  });

  it('keeps UDP control clear', async () => {
    const { server, runs } = await keyRecordingServer();
    const connected = await connectTo(server, 'udp');
    await connected.startIo();
    expect(connected.encrypted).toBe(false);
    expect(runs).toEqual([undefined]);
  });
});

/**
 * A server of before encrypted audio (CONTROL.md §8): it ignores key_share and checks the old
 * formulas, without shares. It challenges, checks the client's MAC, and welcomes or refuses.
 */
async function oldPskServer(): Promise<{ port: number }> {
  const key = new PresharedKey(PSK);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const decoder = new ControlFrameDecoder();
    const nonce = randomNonce();
    const send = (message: ControlMessage): boolean => socket.write(encodeControlFrame(message));
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) {
        if (message.type !== 'hello') continue;
        if (message.auth === undefined) {
          send({ type: 'auth-challenge', requestId: 1, method: 'hmac-sha256-psk', nonce });
        } else if (
          Buffer.from(key.clientMac(nonce, message.auth.clientNonce, message.clientId)).equals(
            message.auth.mac,
          )
        ) {
          send({
            type: 'welcome',
            requestId: message.requestId,
            protocolVersion: CONTROL_PROTOCOL_VERSION,
            endpointId: ENDPOINT_ID,
            endpointName: 'old server',
            formats: FORMATS,
            capabilities: [],
            udpAudioPort: 4474,
            authProof: key.serverProof(nonce, message.auth.clientNonce, ENDPOINT_ID),
          });
        } else {
          send({
            type: 'disconnect',
            requestId: message.requestId,
            reason: 'auth-failed',
            text: '',
          });
          socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port };
}

describe('encrypted audio: compatibility with a server of before (CONTROL.md §8)', () => {
  const connectOld = (port: number, encryption: boolean) =>
    connectTcpControl({
      host: '127.0.0.1',
      port,
      clientId: CLIENT_ID,
      clientName: 'new client',
      udpAudioPort: 40_000,
      psk: PSK,
      encryption,
    });

  it('fails with AUTH_FAILED with a PSK, and connects clear without encryption', async () => {
    const old = await oldPskServer();
    expect(await rejection(connectOld(old.port, true))).toMatchObject({ code: 'AUTH_FAILED' });
    const { channel } = await connectOld(old.port, false);
    expect(channel.audioKeys).toBeUndefined();
    channel.close();
  });
});

describe('encrypted audio: the I/O run counter and key ids', { timeout: 60_000 }, () => {
  it('starts every run at its own key ids on both sides, a Failure retried counting too', async () => {
    let failNext = false;
    const runs: (AudioRunKeys | undefined)[] = [];
    const server = await startServer({
      io: {
        startIo: (session) => {
          runs.push(session.audioSecurity);
          if (failNext) {
            failNext = false;
            throw new ControlError('FAILURE', 'device busy');
          }
        },
      },
    });
    const connected = await connectTo(server, 'tcp', { requests: { initialBackoffMs: 1 } });
    const prepared: (number | undefined)[] = [];
    const prepare = (keys: AudioRunKeys | undefined): void => void prepared.push(keys?.firstKeyId);

    const first = await connected.startIo({ prepare });
    const idle = await first.stopIo();
    failNext = true;
    const second = await idle.startIo({ prepare });

    expect(prepared).toEqual([0, KEY_IDS_PER_RUN, 2 * KEY_IDS_PER_RUN]);
    expect(runs.map((keys) => keys?.firstKeyId)).toEqual(prepared);
    expect(first.audioSecurity!.firstKeyId).toBe(0);
    expect(second.audioSecurity!.firstKeyId).toBe(2 * KEY_IDS_PER_RUN);
    expect(server.sessions[0]!.audioSecurity!.firstKeyId).toBe(2 * KEY_IDS_PER_RUN);
    expect(second.ioRuns).toBe(3);
    expect(server.sessions[0]!.ioRuns).toBe(3);
    // The secrets stay the connection's; only the key ids move on.
    expect(second.audioSecurity!.sendSecret).toEqual(first.audioSecurity!.sendSecret);
  });

  it('refuses the 65,537th StartIoRequest on the server: key ids exhausted', async () => {
    // The raw client sends no heartbeats: the server must not time it out meanwhile.
    const { server } = await keyRecordingServer({ heartbeat: { timeoutMs: 60_000 } });
    const { channel } = await connectTcpControl({
      host: '127.0.0.1',
      port: server.controlPort,
      clientId: CLIENT_ID,
      clientName: 'raw requests',
      udpAudioPort: 40_000,
    });
    const client = new ChannelRecorder(channel);
    onTestFinished(async () => {
      channel.close();
      await client.closed;
    });
    await waitFor('the session', () => server.sessions.length === 1);
    // Every request counts, whatever its outcome: the first starts I/O, the next are refused.
    for (let requestId = 1; requestId <= MAX_IO_RUNS + 1; requestId++) {
      channel.send({ type: 'start-io', requestId });
    }
    const answer = (requestId: number) =>
      client.messages.find((m) => m.type === 'start-io-result' && m.requestId === requestId);
    await waitFor('the last answer', () => answer(MAX_IO_RUNS + 1) !== undefined, 30_000);
    expect(answer(MAX_IO_RUNS + 1)).toMatchObject({
      outcome: 'refusal',
      reason: 'key ids exhausted: reconnect',
    });
    expect(answer(MAX_IO_RUNS)).toMatchObject({
      outcome: 'refusal',
      reason: 'I/O is already active',
    });
    expect(server.sessions[0]!.ioRuns).toBe(MAX_IO_RUNS + 1);
    expect(server.sessions[0]!.audioSecurity).toBeUndefined();
  });

  it('refuses, unsent, a client start once the session used its 65,536 runs', async () => {
    const server = await startServer({
      io: {
        startIo: () => {
          throw new ControlError('REFUSAL', 'not now');
        },
      },
    });
    const connected = await connectTo(server, 'tcp');
    for (let run = 0; run < MAX_IO_RUNS; run++) {
      await connected.startIo().catch(() => undefined);
    }
    const error = await rejection(connected.startIo());
    expect(error).toMatchObject({ code: 'REFUSAL', reason: 'key ids exhausted: reconnect' });
    expect(connected.ioRuns).toBe(MAX_IO_RUNS);
    expect(server.sessions[0]!.ioRuns).toBe(MAX_IO_RUNS);
  });
});
