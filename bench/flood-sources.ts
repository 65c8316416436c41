/**
 * The flood bench's hostile traffic, every socket on 127.0.0.1 and aimed at 127.0.0.1 only:
 * datagrams and TCP connections from many source ports, as fast as this event loop allows, until
 * a deadline.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket as TcpSocket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION,
  decodeMessage,
  encode,
  encodeControlFrame,
  writeAudioHeader,
} from '@syfala/proto';

const HOST = '127.0.0.1';
/** Datagrams each socket sends per turn of the event loop. */
const BATCH = 4;
/** Sends a socket may have queued (the kernel pushing back) before it skips its turn. */
const MAX_QUEUED = 64;
/** TCP connections attempted or open at once. */
const TCP_CONCURRENCY = 256;

export interface FloodCounts {
  /** Datagrams sent, by target; those that failed are also in udpSendErrors. */
  audioPortDatagrams: number;
  controlPortDatagrams: number;
  handshakeDatagrams: number;
  udpSendErrors: number;
  /** CONN offers the handshake spam got back (and answered with CRES ok). */
  offersReceived: number;
  tcpAttempts: number;
  tcpConnected: number;
  /** Connect or socket errors (refused, reset by the server, no free port). */
  tcpErrors: number;
  /** Connections the server ended (FIN) before we did. */
  tcpEndedByServer: number;
}

export function zeroFloodCounts(): FloodCounts {
  return {
    audioPortDatagrams: 0,
    controlPortDatagrams: 0,
    handshakeDatagrams: 0,
    udpSendErrors: 0,
    offersReceived: 0,
    tcpAttempts: 0,
    tcpConnected: 0,
    tcpErrors: 0,
    tcpEndedByServer: 0,
  };
}

/**
 * What arrives at a port from strangers: random bytes of random length, audio datagrams with
 * valid headers for streams nobody set up, and valid control messages from no session.
 */
function junkDatagrams(): Uint8Array[] {
  const junk: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    junk.push(randomBytes(1 + Math.floor(Math.random() * 1400)));
    const payloadBytes = 8 * (1 + Math.floor(Math.random() * 160));
    const audio = randomBytes(24 + payloadBytes);
    writeAudioHeader(audio, 0, i % 4, 8 * Math.floor(Math.random() * 1e9), payloadBytes);
    junk.push(audio);
  }
  junk.push(encode({ type: 'start-io', requestId: 1 }));
  junk.push(encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 1 }));
  junk.push(encode({ type: 'disconnect', reason: 'normal' }));
  return junk;
}

async function boundSockets(
  count: number,
  port: number,
  counts: FloodCounts,
): Promise<UdpSocket[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = createSocket('udp4');
      socket.on('error', () => counts.udpSendErrors++);
      await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
      await new Promise<void>((resolve) => socket.connect(port, HOST, resolve));
      return socket;
    }),
  );
}

/**
 * Sends `payloads` round robin, BATCH on each socket per turn of the event loop, until
 * `deadline` (performance.now()). Yielding each turn keeps this process's other floods and
 * replies going: chaining each send from the last one's callback starved them.
 */
function pump(
  sockets: readonly UdpSocket[],
  payloads: readonly Uint8Array[],
  deadline: number,
  sent: (count: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const turn = (): void => {
      if (performance.now() >= deadline) {
        resolve();
        return;
      }
      for (const socket of sockets) {
        // Loopback rarely pushes back, but a send queue must not grow without bound if it does.
        if (socket.getSendQueueCount() > MAX_QUEUED) continue;
        for (let i = 0; i < BATCH; i++) socket.send(payloads[next++ % payloads.length]!);
        sent(BATCH);
      }
      setImmediate(turn);
    };
    turn();
  });
}

function closeAll(sockets: readonly UdpSocket[]): Promise<void> {
  return Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))).then(
    () => undefined,
  );
}

/** (a) Junk datagrams from `sockets` source ports, half to the audio port, half to UDP control. */
export async function floodDatagrams(
  ports: { audioPort: number; udpPort: number },
  sockets: number,
  deadline: number,
  counts: FloodCounts,
): Promise<void> {
  const junk = junkDatagrams();
  const toAudio = await boundSockets(sockets / 2, ports.audioPort, counts);
  const toControl = await boundSockets(sockets / 2, ports.udpPort, counts);
  for (const socket of [...toAudio, ...toControl]) socket.on('message', () => undefined);
  await Promise.all([
    pump(toAudio, junk, deadline, (n) => (counts.audioPortDatagrams += n)),
    pump(toControl, junk, deadline, (n) => (counts.controlPortDatagrams += n)),
  ]);
  await closeAll([...toAudio, ...toControl]);
}

/**
 * (c) UDP control handshake spam from `sockets` source ports: discovery beacons, connection
 * results nobody offered, beacons of a version nobody speaks, and a CRES ok to every offer that
 * comes back (a session the spammer then abandons).
 */
export async function spamHandshakes(
  udpPort: number,
  sockets: number,
  deadline: number,
  counts: FloodCounts,
): Promise<void> {
  const beacon = encode({ type: 'discovery' });
  const badVersion = Uint8Array.from(beacon);
  badVersion[3] = 0xee;
  const accept = encode({ type: 'connection-result', outcome: 'ok' });
  const spam = [beacon, accept, badVersion];
  const spammers = await boundSockets(sockets, udpPort, counts);
  for (const socket of spammers) {
    socket.on('message', (datagram) => {
      try {
        if (decodeMessage(datagram, 'server').type !== 'connect') return;
      } catch {
        return;
      }
      counts.offersReceived++;
      if (performance.now() < deadline) socket.send(accept);
    });
  }
  await pump(spammers, spam, deadline, (n) => (counts.handshakeDatagrams += n));
  await closeAll(spammers);
}

/** What each flood connection does once connected. */
const BEHAVIOURS = ['silent', 'garbage', 'partial', 'reset', 'hello'] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

/**
 * (b) TCP connections from as many source ports as TCP_CONCURRENCY allows at once, each doing
 * one of BEHAVIOURS in turn: nothing (left hanging until the server gives up), random bytes, a
 * frame cut short (hanging), a reset right after connecting, or a valid Hello reset as soon as
 * the server answers. A new attempt replaces each connection that ends.
 */
export async function floodTcp(
  controlPort: number,
  deadline: number,
  counts: FloodCounts,
): Promise<void> {
  const hello = encodeControlFrame({
    type: 'hello',
    requestId: 1,
    protocolVersion: CONTROL_PROTOCOL_VERSION,
    clientId: '00000000-0000-4000-8000-000000000000',
    clientName: 'flood',
    capabilities: [],
    udpAudioPort: 9,
  });
  // A length prefix announcing a 200-byte frame, and only the start of it.
  const partial = Uint8Array.of(200, 0, 0, 0, 0x08, 0x01, 0x52);
  const open = new Set<TcpSocket>();
  let attempt = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const behave = (socket: TcpSocket, behaviour: Behaviour): void => {
    switch (behaviour) {
      case 'silent':
        return;
      case 'garbage':
        socket.write(randomBytes(64));
        return;
      case 'partial':
        socket.write(partial);
        return;
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'hello':
        socket.write(hello);
        socket.once('data', () => socket.resetAndDestroy());
        return;
    }
  };
  const start = (): void => {
    if (performance.now() >= deadline) {
      if (open.size === 0) finished();
      return;
    }
    const behaviour = BEHAVIOURS[attempt++ % BEHAVIOURS.length]!;
    counts.tcpAttempts++;
    const socket = tcpConnect({ host: HOST, port: controlPort });
    open.add(socket);
    socket.on('connect', () => {
      counts.tcpConnected++;
      behave(socket, behaviour);
    });
    socket.on('data', () => undefined);
    socket.on('end', () => counts.tcpEndedByServer++);
    socket.on('error', () => counts.tcpErrors++);
    socket.on('close', () => {
      open.delete(socket);
      start();
    });
  };
  for (let i = 0; i < TCP_CONCURRENCY; i++) start();
  // At the deadline, whatever still hangs is reset (no TIME_WAIT left behind on this side).
  const timer = setTimeout(
    () => {
      for (const socket of open) socket.resetAndDestroy();
    },
    Math.max(0, deadline - performance.now()),
  );
  await done;
  clearTimeout(timer);
}
