/**
 * The bridges the JACK benches compare, and every command line and port name they use, in one
 * place. A bridge links server A's JACK graph (the "server side") with server B's (the "client
 * side"): on B it offers a send port (into the bridge, towards A) and a receive port (out of
 * the bridge, from A) per channel; on A it offers the same pair, and the rig loops A's received
 * stream back into its send stream (DESIGN §7).
 */
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, sleep, treeCpuSeconds, type JackServer } from '@syfala/jack-rig';
import { ADDON_PATH_VARIABLE } from '@syfala/native-engine';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CONNECT_TIMEOUT_MS = 15_000;

/** Cumulative glitch counters one side of a bridge reports about the audio it receives. */
export interface BridgeCounters {
  /** Receive-buffer underruns (a period played without the data for it). */
  underruns: number;
  /** Receive-buffer overflows (data dropped because the buffer was full); null if not reported. */
  overflows: number | null;
  /** Lost audio: JackTrip counts packets, syfala counts frames. */
  lost: number;
}

/** A syfala side's receive buffer, frames, as one stats line showed it. */
export interface BufferGauge {
  /** Its target (the jitter buffer's, adaptive by default). */
  target: number;
  /** What it held when the line was printed; averaged over a window, the wait in it (Little's law). */
  buffered: number;
}

export interface BufferSample {
  a: BufferGauge;
  b: BufferGauge;
}

export interface BridgeRun {
  /** B-side JACK input port carrying channel c (1-based) towards A. */
  sendB(channel: number): string;
  /** B-side JACK output port carrying channel c back from A. */
  receiveB(channel: number): string;
  /** The latest cumulative counters each side printed (null until it printed any). */
  counters(): { a: BridgeCounters | null; b: BridgeCounters | null };
  /**
   * Both sides' receive buffers, one sample per stats line so far, oldest first (syfala: the
   * client's line carries the server's from its Stats); undefined for a bridge that does not say.
   */
  buffers?(): readonly BufferSample[];
  /** CPU seconds used so far by each side's process (and its descendants). */
  cpu(): { a: number; b: number };
  /** The last output lines of each side, for --verbose and for failures. */
  tails(lines: number): { a: string[]; b: string[] };
  /** Stops the client side, then the server side; waits for both. */
  stop(): Promise<void>;
}

export interface Bridge {
  /** Row label, e.g. "jacktrip q4". */
  label: string;
  kind: 'jacktrip' | 'syfala';
  /** What the "lost" counter counts. */
  lostUnit: 'packets' | 'frames';
  start(a: JackServer, b: JackServer, channels: number): Promise<BridgeRun>;
}

// ---------------------------------------------------------------------------------------------
// JackTrip 1.7 (Debian's jacktrip), P2P mode, as DESIGN §7 runs it. -D: connect no ports (the
// rig wires them); -I 1: an IO stat line every second ("… send: U/O recv: U/O prot: lost/ooo/
// revived tot: N …", cumulative); -J: the JACK client name (B's defaults to the peer address).

/** The flags both JackTrip sides share (see above). */
function jacktripCommon(
  channels: number,
  queue: number,
  bits: number | undefined,
  client: string,
): string[] {
  return [
    '-n',
    String(channels),
    '-q',
    String(queue),
    ...(bits === undefined ? [] : ['-b', String(bits)]),
    '-D',
    '-I',
    '1',
    '-J',
    client,
  ];
}

export const JACKTRIP = {
  serverPort: 4464,
  clientPort: 4474,
  clientA: 'jacktrip-a',
  clientB: 'jacktrip-b',
  serverArgs: (channels: number, queue: number, bits: number | undefined): string[] => [
    '-s',
    '-B',
    String(JACKTRIP.serverPort),
    ...jacktripCommon(channels, queue, bits, JACKTRIP.clientA),
  ],
  /** peerPort: where the client sends, the server's port unless something sits in between. */
  clientArgs: (
    channels: number,
    queue: number,
    bits: number | undefined,
    peerPort?: number,
  ): string[] => [
    '-c',
    '127.0.0.1',
    '-B',
    String(JACKTRIP.clientPort),
    '-P',
    String(peerPort ?? JACKTRIP.serverPort),
    ...jacktripCommon(channels, queue, bits, JACKTRIP.clientB),
  ],
  /** JACK input port (into the network) and output port (from it) of a JackTrip client. */
  send: (client: string, channel: number): string => `${client}:send_${channel}`,
  receive: (client: string, channel: number): string => `${client}:receive_${channel}`,
  connected: /Received Connection from Peer!/,
  stat: /send: (\d+)\/(\d+) recv: (\d+)\/(\d+) prot: (\d+)\/(\d+)\/(\d+) tot: (\d+)/,
};

function jacktripCounters(line: string): BridgeCounters | null {
  const m = JACKTRIP.stat.exec(line);
  if (!m) return null;
  return { underruns: Number(m[3]), overflows: Number(m[4]), lost: Number(m[5]) };
}

/**
 * JackTrip with a receive queue of `queue` packets; bits: -b (16 when undefined). peerPort: where
 * the client sends (a relay's port; default the server's). The server answers whoever sent.
 */
export function jacktrip(queue: number, bits?: number, peerPort?: number): Bridge {
  return {
    label: `jacktrip q${queue}${bits === undefined ? '' : ` b${bits}`}`,
    kind: 'jacktrip',
    lostUnit: 'packets',
    async start(a, b, channels) {
      const counters = { a: null as BridgeCounters | null, b: null as BridgeCounters | null };
      const connected = { a: false, b: false };
      const spawnSide = (side: 'a' | 'b', server: JackServer, args: string[]): ManagedProcess =>
        new ManagedProcess('jacktrip', args, {
          env: server.env(),
          onLine: (line) => {
            if (JACKTRIP.connected.test(line)) connected[side] = true;
            counters[side] = jacktripCounters(line) ?? counters[side];
          },
        });
      const procA = spawnSide('a', a, JACKTRIP.serverArgs(channels, queue, bits));
      let procB: ManagedProcess | undefined;
      const stop = async (): Promise<void> => {
        await procB?.stop();
        await procA.stop();
      };
      try {
        await waitUntil(
          () => procA.lines.some((l) => /Waiting for Connection From a Client/.test(l)),
          procA,
          'A',
        );
        procB = spawnSide('b', b, JACKTRIP.clientArgs(channels, queue, bits, peerPort));
        const started = procB;
        await waitUntil(() => connected.a && connected.b, started, 'B', procA);
        const ports = (client: string): string[] =>
          range(channels).flatMap((c) => [JACKTRIP.send(client, c), JACKTRIP.receive(client, c)]);
        await a.waitForPorts(ports(JACKTRIP.clientA));
        await b.waitForPorts(ports(JACKTRIP.clientB));
        for (const c of range(channels)) {
          await a.connect(
            JACKTRIP.receive(JACKTRIP.clientA, c),
            JACKTRIP.send(JACKTRIP.clientA, c),
          );
        }
      } catch (err) {
        await stop();
        throw err;
      }
      const b_ = procB;
      return {
        sendB: (c) => JACKTRIP.send(JACKTRIP.clientB, c),
        receiveB: (c) => JACKTRIP.receive(JACKTRIP.clientB, c),
        counters: () => ({ ...counters }),
        cpu: () => ({ a: treeCpuSeconds(procA.pid!), b: treeCpuSeconds(b_.pid!) }),
        tails: (n) => ({ a: procA.lines.slice(-n), b: b_.lines.slice(-n) }),
        stop,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// syfala (apps/syfala), JACK backend (issue #5). serve on A exposes JACK client `syfala-server`:
// JACK input ports send_<c> (captured, sent to clients) and output ports receive_<c> (what
// clients send, played). connect on B opens JACK client `syfala-<endpoint name>`: output ports
// capture_<c> (what the endpoint captures) and input ports playback_<c> (sent to the endpoint to
// play); one stream each way, so no stream number. Stats: connect --json prints a JSON line a second
// on stdout; serve --log json prints `{"event":"stats","peers":[…]}` lines on stderr.

export const SYFALA = {
  /** Started itself, as a user's `syfala` runs: its shebang's Node flags apply. */
  bin: `${REPO}apps/syfala/bin/syfala.mjs`,
  endpointName: 'rig-a',
  serverClient: 'syfala-server',
  clientClient: 'syfala-rig-a',
  format: (channels: number, period: number): string => `f32/48000/${channels}/${period}`,
  serveArgs: (
    server: string,
    udpPort: number,
    flags: readonly string[],
    channels: number,
    period: number,
  ): string[] => [
    'serve',
    '--backend',
    'jack',
    '--jack-server',
    server,
    '--bind',
    '127.0.0.1',
    '--no-mdns',
    '--no-multicast',
    '--udp-port',
    String(udpPort),
    '--control-port',
    '0',
    '--no-auto-connect',
    ...flags,
    '--name',
    SYFALA.endpointName,
    '--inputs',
    SYFALA.format(channels, period),
    '--outputs',
    SYFALA.format(channels, period),
    '--log',
    'json',
  ],
  // The endpoint as HOST:UDPPORT: connect asks that address with a unicast discovery beacon,
  // and the answer carries the control port (apps/syfala/src/resolve-endpoint.ts).
  connectArgs: (server: string, udpPort: number, flags: readonly string[]): string[] => [
    'connect',
    `127.0.0.1:${udpPort}`,
    '--backend',
    'jack',
    '--jack-server',
    server,
    '--no-auto-connect',
    ...flags,
    '--json',
  ],
  /** Server side: send_<c> is a JACK input (sent to clients), receive_<c> a JACK output. */
  serverIn: (channel: number): string => `${SYFALA.serverClient}:send_${channel}`,
  serverOut: (channel: number): string => `${SYFALA.serverClient}:receive_${channel}`,
  /** Client side: capture_<c> is a JACK output (from the endpoint), playback_<c> a JACK input. */
  clientIn: (channel: number): string => `${SYFALA.clientClient}:capture_${channel}`,
  clientOut: (channel: number): string => `${SYFALA.clientClient}:playback_${channel}`,
};

/** Reads syfala's stats from one JSON line of either side; null for any other line. */
export function syfalaCounters(line: string): BridgeCounters | null {
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const o = value as Record<string, unknown>;
  const sum = (items: unknown, key: string): number =>
    Array.isArray(items)
      ? items.reduce((t: number, s) => t + (Number((s as Record<string, unknown>)[key]) || 0), 0)
      : 0;
  if (o.event === 'stats' && Array.isArray(o.peers)) {
    // serve: per peer, summed over its received streams
    return {
      underruns: sum(o.peers, 'underruns'),
      overflows: null,
      lost: sum(o.peers, 'lostFrames'),
    };
  }
  if (Array.isArray(o.received)) {
    const lost = sum(o.received, 'lostFrames') || sum(o.received, 'lostBytes');
    return { underruns: sum(o.received, 'underruns'), overflows: null, lost };
  }
  if (o.type === 'stats' && typeof o.underruns === 'number') {
    // connect --json: summed over the received streams
    return { underruns: o.underruns, overflows: null, lost: Number(o.lostFrames) || 0 };
  }
  return null;
}

/**
 * Both sides' receive buffers from one `connect --json` stats line: the client's own (B), and
 * the server's (A) from the Stats it last sent (its `serverView`). Null for any other line.
 */
export function syfalaBuffers(line: string): BufferSample | null {
  if (!line.startsWith('{"type":"stats"')) return null;
  const o = JSON.parse(line) as {
    targetLatencyFrames?: number;
    bufferedFrames?: number;
    serverView?: { latencyFrames?: number; bufferFillFrames?: number };
  };
  const server = o.serverView;
  if (o.targetLatencyFrames === undefined || o.bufferedFrames === undefined) return null;
  if (server?.latencyFrames === undefined || server.bufferFillFrames === undefined) return null;
  return {
    a: { target: server.latencyFrames, buffered: server.bufferFillFrames },
    b: { target: o.targetLatencyFrames, buffered: o.bufferedFrames },
  };
}

/** Another build of the native addon to run a syfala bridge on (SYFALA_NATIVE_ADDON), named. */
export interface AddonBuild {
  name: string;
  path: string;
}

/** The `NAME=PATH` of a bench's --syfala-addon. */
export function addonBuild(spec: string): AddonBuild {
  const at = spec.indexOf('=');
  if (at < 1 || at === spec.length - 1) {
    throw new Error(`--syfala-addon: expected NAME=PATH (a built syfala_native.node), got ${spec}`);
  }
  return { name: spec.slice(0, at), path: spec.slice(at + 1) };
}

/**
 * The syfala bridge with `flags` given to both serve and connect (e.g. `--latency 64`); none: the
 * CLI's defaults, as a new user runs it. `addon`: on that build of the native addon instead of
 * this checkout's (an A/B of two builds in one invocation).
 */
export function syfala(flags: readonly string[] = [], addon?: AddonBuild): Bridge {
  const env = addon ? { ...process.env, [ADDON_PATH_VARIABLE]: addon.path } : process.env;
  const label = flags.length === 0 ? 'syfala defaults' : `syfala ${flags.join(' ')}`;
  return {
    label: addon ? `${label} (${addon.name})` : label,
    kind: 'syfala',
    lostUnit: 'frames',
    async start(a, b, channels) {
      const counters = { a: null as BridgeCounters | null, b: null as BridgeCounters | null };
      const buffers: BufferSample[] = [];
      const udpPort = await freeUdpPort();
      const period = a.periodFrames;
      const serve = new ManagedProcess(
        SYFALA.bin,
        SYFALA.serveArgs(a.name, udpPort, flags, channels, period),
        { env, onLine: (line) => (counters.a = syfalaCounters(line) ?? counters.a) },
      );
      let connect: ManagedProcess | undefined;
      const stop = async (): Promise<void> => {
        await connect?.stop();
        await serve.stop();
      };
      // With the wait's own reason: a jack_lsp that failed on a loaded server is not a missing port.
      const missing = (what: string, proc: ManagedProcess, cause: unknown) =>
        new Error(
          `syfala bridge: ${what} ${proc.exit ? `exited ${proc.exit.code ?? proc.exit.signal}` : 'is running'} ` +
            `but its JACK ports did not appear (${(cause as Error).message}; the JACK backend, ` +
            `issue #5, may not be built yet; build with \`pnpm exec tsc -b\`): ${proc.tail(6) || '(no output)'}`,
          { cause },
        );
      try {
        await a
          .waitForPorts(
            range(channels).flatMap((c) => [SYFALA.serverIn(c), SYFALA.serverOut(c)]),
            CONNECT_TIMEOUT_MS,
            serve,
          )
          .catch((error: unknown) => {
            throw missing('`syfala serve --backend jack`', serve, error);
          });
        for (const c of range(channels)) await a.connect(SYFALA.serverOut(c), SYFALA.serverIn(c));
        connect = new ManagedProcess(SYFALA.bin, SYFALA.connectArgs(b.name, udpPort, flags), {
          env,
          onLine: (line) => {
            counters.b = syfalaCounters(line) ?? counters.b;
            const sample = syfalaBuffers(line);
            if (sample !== null) buffers.push(sample);
          },
        });
        const started = connect;
        await b
          .waitForPorts(
            range(channels).flatMap((c) => [SYFALA.clientIn(c), SYFALA.clientOut(c)]),
            CONNECT_TIMEOUT_MS,
            started,
          )
          .catch((error: unknown) => {
            throw missing('`syfala connect --backend jack`', started, error);
          });
      } catch (err) {
        await stop();
        throw err;
      }
      const c_ = connect;
      return {
        sendB: SYFALA.clientOut,
        receiveB: SYFALA.clientIn,
        counters: () => ({ ...counters }),
        buffers: () => buffers,
        cpu: () => ({ a: treeCpuSeconds(serve.pid!), b: treeCpuSeconds(c_.pid!) }),
        tails: (n) => ({ a: serve.lines.slice(-n), b: c_.lines.slice(-n) }),
        stop,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** 1..n */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

async function waitUntil(
  ready: () => boolean,
  proc: ManagedProcess,
  side: string,
  other?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  while (!ready()) {
    for (const p of [proc, other]) {
      if (p?.exit) {
        throw new Error(
          `${p.command} ${p.args.join(' ')} exited ${p.exit.code ?? p.exit.signal}: ${p.spawnError?.message ?? p.tail(6)}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.command} (side ${side}) not connected after ${CONNECT_TIMEOUT_MS} ms: ${proc.tail(6)}`,
      );
    }
    await sleep(50);
  }
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
