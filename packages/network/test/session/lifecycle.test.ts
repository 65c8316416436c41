import { createServer, type AddressInfo } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { CONTROL_PROTOCOL_VERSION, ControlFrameDecoder, encodeControlFrame } from '@syfala/proto';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ControlError,
  InvalidStateError,
  connect,
  type ServerEvent,
  type ServerSession,
} from '../../src/index.js';
import { connectUdpControl } from '../../src/control/udp-client.js';
import { FORMATS, rejection, udpSocket, waitFor } from '../control/helpers.js';
import { connectTo, startServer, TRANSPORTS } from './fixtures.js';

describe.each(TRANSPORTS)('session lifecycle over %s control', (transport) => {
  it('connects, starts and stops I/O, and disconnects, with both sides agreeing', async () => {
    const calls: string[] = [];
    const events: ServerEvent[] = [];
    const server = await startServer({
      io: {
        startIo: (session) => void calls.push(`start ${session.client.clientName}`),
        stopIo: () => void calls.push('stop'),
      },
    });
    server.events$.subscribe((event) => events.push(event));
    const connected = await connectTo(server, transport, { clientName: 'laptop' });
    const states = firstValueFrom(connected.state$.pipe(toArray()));

    expect(connected.transport).toBe(transport);
    expect(connected.formats).toEqual(FORMATS);
    expect(connected.offer.endpointName).toBe('test server');
    expect(connected.offer.udpAudioPort).toBe(server.udpPort);
    await waitFor('the server session', () => server.sessions.length === 1);
    const session = server.sessions[0]!;

    const streaming = await connected.startIo();
    expect(session.state).toBe('streaming');
    const again = await streaming.stopIo();
    expect(session.state).toBe('connected');
    const end = await again.disconnect();

    expect(end).toEqual({ reason: 'normal', by: 'local', text: '' });
    expect(await states).toEqual([
      'connected',
      'starting-io',
      'streaming',
      'stopping-io',
      'connected',
      'closed',
    ]);
    await waitFor('the server to see the end', () => events.length === 2);
    expect(events[1]).toMatchObject({ type: 'closed', end: { reason: 'normal', by: 'peer' } });
    expect(calls).toEqual([
      transport === 'tcp' ? 'start laptop' : expect.stringMatching(/^start 127\.0\.0\.1:/),
      'stop',
    ]);
    expect(server.stats().sessions).toBe(0);
  });

  it('retires a state object once left: later calls throw STATE_CONSUMED', async () => {
    const server = await startServer();
    const connected = await connectTo(server, transport);
    const streaming = await connected.startIo();

    for (const call of [() => connected.startIo(), () => connected.disconnect()]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(InvalidStateError);
      expect((error as InvalidStateError).code).toBe('STATE_CONSUMED');
    }
    await streaming.disconnect();
    const error = await rejection(streaming.stopIo());
    expect((error as InvalidStateError).code).toBe('STATE_CONSUMED');
  });

  it('throws REQUEST_PENDING for a second transition while one is in flight, and CLOSED after the end', async () => {
    let release!: () => void;
    const server = await startServer({
      io: { startIo: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    const connected = await connectTo(server, transport);
    const first = connected.startIo();
    const second = await rejection(connected.startIo());
    expect((second as InvalidStateError).code).toBe('REQUEST_PENDING');
    await waitFor('the start handler', () => release !== undefined);
    release();
    const streaming = await first;

    server.sessions[0]!.disconnect('shutdown', 'bye');
    const end = await streaming.ended;
    expect(end).toEqual({ reason: 'shutdown', by: 'peer', text: transport === 'tcp' ? 'bye' : '' });
    const late = await rejection(streaming.stopIo());
    expect((late as InvalidStateError).code).toBe('CLOSED');
  });

  it('retries a Failure with backoff until it succeeds', async () => {
    let attempts = 0;
    const server = await startServer({
      io: {
        startIo: () => {
          attempts++;
          if (attempts < 3) throw new ControlError('FAILURE', 'device warming up');
        },
      },
    });
    const connected = await connectTo(server, transport, { requests: { initialBackoffMs: 20 } });
    const streaming = await connected.startIo();

    expect(attempts).toBe(3);
    expect(streaming.stats().failuresRetried).toBe(2);
  });

  it('gives up on a Failure after its attempts, leaving the state usable', async () => {
    let fail = true;
    let attempts = 0;
    const server = await startServer({
      io: {
        startIo: () => {
          attempts++;
          if (fail) throw new ControlError('FAILURE', 'device busy');
        },
      },
    });
    const connected = await connectTo(server, transport, {
      requests: { failureAttempts: 3, initialBackoffMs: 10 },
    });
    const error = (await rejection(connected.startIo())) as ControlError;

    expect(error).toBeInstanceOf(ControlError);
    expect(error.code).toBe('FAILURE');
    expect(error.retryable).toBe(true);
    if (transport === 'tcp') expect(error.reason).toBe('device busy');
    expect(attempts).toBe(3);
    expect(server.sessions[0]!.state).toBe('connected');
    fail = false;
    await connected.startIo();
  });

  it('does not retry a Refusal and returns to the previous state', async () => {
    let attempts = 0;
    const server = await startServer({
      io: {
        startIo: () => {
          attempts++;
          throw new ControlError('REFUSAL', 'no such device');
        },
      },
    });
    const connected = await connectTo(server, transport);
    const states: string[] = [];
    connected.state$.subscribe((state) => states.push(state));
    const error = (await rejection(connected.startIo())) as ControlError;

    expect(error.code).toBe('REFUSAL');
    expect(error.retryable).toBe(false);
    expect(attempts).toBe(1);
    expect(states).toEqual(['connected', 'starting-io', 'connected']);
  });

  it('releases what a streaming session held when the client disconnects', async () => {
    const released: ServerSession[] = [];
    const server = await startServer({ io: { stopIo: (session) => void released.push(session) } });
    const streaming = await (await connectTo(server, transport)).startIo();
    await streaming.disconnect();
    await waitFor('the stop handler', () => released.length === 1);
    expect(server.sessions).toEqual([]);
  });

  it('refuses an offer whose formats the client declines, and the server hears why', async () => {
    const server = await startServer();
    const events: ServerEvent[] = [];
    server.events$.subscribe((event) => events.push(event));
    const error = (await rejection(
      connectTo(server, transport, { acceptFormats: (formats) => formats.outputs.length === 0 }),
    )) as ControlError;

    expect(error).toBeInstanceOf(ControlError);
    expect(error.code).toBe('REFUSAL');
    expect(error.disconnectReason).toBe('format-unsupported');
    if (transport === 'tcp') {
      // The Welcome came first, so the server saw a session that the client then ended.
      await waitFor('the server to see the refusal', () => events.length === 2);
      expect(events[1]).toMatchObject({
        type: 'closed',
        end: { reason: 'format-unsupported', by: 'peer' },
      });
    } else {
      await waitFor('the declined offer', () => server.stats().udp.offersDeclined === 1);
      expect(events).toEqual([]);
    }
  });

  it('ends every session with reason shutdown when the server closes', async () => {
    const server = await startServer();
    const clients = await Promise.all([connectTo(server, transport), connectTo(server, transport)]);
    await server.close();
    const ends = await Promise.all(clients.map((client) => client.ended));
    expect(ends.map((end) => [end.reason, end.by])).toEqual([
      ['shutdown', 'peer'],
      ['shutdown', 'peer'],
    ]);
  });

  it('ends every session with the reason close() is given, such as device-lost', async () => {
    const server = await startServer();
    const client = await connectTo(server, transport);
    await server.close('device-lost', 'the JACK server went away');
    // A second close() neither sends nor changes anything.
    await server.close();
    // UDP control's Disconnect carries the reason only (PROTOCOL.md §5.11).
    expect(await client.ended).toEqual({
      reason: 'device-lost',
      by: 'peer',
      text: transport === 'tcp' ? 'the JACK server went away' : '',
    });
  });
});

describe('a UDP client that restarts on the same port', () => {
  it('ends its stale server session and gets a new one', async () => {
    const server = await startServer();
    const events: ServerEvent[] = [];
    server.events$.subscribe((event) => events.push(event));
    const { socket } = await udpSocket();
    const first = await connectUdpControl({ host: '127.0.0.1', port: server.udpPort, socket });
    await waitFor('the first session', () => server.sessions.length === 1);
    // The program dies without a word: its channel is gone, its socket's port comes back.
    first.channel.close();
    const second = await connectUdpControl({ host: '127.0.0.1', port: server.udpPort, socket });

    await waitFor('the stale session to end', () => events.some((e) => e.type === 'closed'));
    expect(events.find((e) => e.type === 'closed')).toMatchObject({
      end: { reason: 'connection-lost', by: 'transport' },
    });
    await waitFor('the new session', () => server.sessions.length === 1);
    expect(server.stats().udp.peersRestarted).toBe(1);
    second.channel.close();
  });
});

describe('a peer Error frame over TCP control', () => {
  it('fails the request it names, and the session goes on', async () => {
    // A hand-written server: Welcome, then Error to the first start-io, ok to the next.
    let startRequests = 0;
    const raw = createServer((socket) => {
      const decoder = new ControlFrameDecoder();
      socket.on('data', (chunk) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.type === 'hello') {
            socket.write(
              encodeControlFrame({
                type: 'welcome',
                requestId: frame.requestId,
                protocolVersion: CONTROL_PROTOCOL_VERSION,
                endpointId: '6f1c2a3b-4d5e-4f60-8172-839405a6b7c8',
                endpointName: 'raw',
                formats: FORMATS,
                capabilities: [],
                udpAudioPort: 9,
              }),
            );
          } else if (frame.type === 'start-io' && ++startRequests === 1) {
            socket.write(
              encodeControlFrame({
                type: 'error',
                requestId: frame.requestId,
                code: 'unsupported',
                message: 'no I/O on this test server',
              }),
            );
          } else if (frame.type === 'start-io') {
            socket.write(
              encodeControlFrame({
                type: 'start-io-result',
                requestId: frame.requestId,
                outcome: 'ok',
                reason: '',
              }),
            );
          }
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    const port = (raw.address() as AddressInfo).port;

    const connected = await connect({ host: '127.0.0.1', udpPort: 9, controlPort: port });
    const error = await rejection<ControlError>(connected.startIo());
    expect(error).toMatchObject({ code: 'REFUSAL', reason: 'no I/O on this test server' });
    expect(connected.stats().errorsReceived).toBe(1);
    const streaming = await connected.startIo();
    await streaming.disconnect();
  });
});
