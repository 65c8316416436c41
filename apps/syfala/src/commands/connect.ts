import { performance } from 'node:perf_hooks';
import {
  MAX_SKEW_PPM,
  type EngineStats,
  type VirtualSink,
  type VirtualSource,
} from '@syfala/audio';
import type { JackDeviceOptions } from '@syfala/backend-jack';
import type { Endpoint, PeerStatsReport, SessionEnd } from '@syfala/network';
import {
  MAX_REDUNDANCY_PERIODS,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  bytesPerFrame,
  describeFormat,
  type Format,
  type Redundancy,
  type StreamFormats,
} from '@syfala/proto';
import { CliError, describeError } from '../cli-error.js';
import { endpointFormats } from '../endpoint-formats.js';
import {
  checkReadable,
  checkWritable,
  clientNameValue,
  integerValue,
  interfaceValue,
  numberValue,
  numberedPath,
  oneOf,
  portList,
  timeValue,
  pskValue,
} from '../option-values.js';
import {
  describeFormats,
  endpointAddress,
  missingFrames,
  playoutStats,
  playoutParts,
  statsCountersText,
  statusLine,
  streamStatus,
} from '../output.js';
import type { DeviceChoice } from '../engines.js';
import {
  COREAUDIO_FLAGS,
  coreAudioOptions,
  flagOf,
  foreignFlag,
  JACK_FLAGS,
  jackServerInfo,
  type Backend,
} from '../backend-flags.js';
import { CONCEALMENT_MODES } from '../daemon.js';
import { checkDeviceRate, latencyValue, resolvePlayout } from '../playout.js';
import { resolveEndpoint, terminalProgress } from '../resolve-endpoint.js';
import { atRate } from '@syfala/remote';
import { waitForSignal } from '../signals.js';
import { checkPipeFlags, openPipes, STDIO, type ConnectPipes } from '../pipe-audio.js';
import { streamWith, type StreamResult } from '../stream-client.js';
import { inspectWav } from '../wav-files.js';

export interface ConnectFlags {
  readonly record?: string;
  readonly play?: string;
  readonly raw?: boolean;
  readonly duration?: string;
  readonly json?: boolean;
  readonly psk?: string;
  /** False with --no-encryption. */
  readonly encryption: boolean;
  readonly latency?: string;
  readonly driftCompensation?: boolean;
  readonly sampleRate?: string;
  readonly skewPpm?: string;
  readonly redundancy?: string;
  readonly concealment?: string;
  readonly clientName?: string;
  readonly timeout: string | number;
  readonly interface?: string;
  readonly backend: Backend;
  readonly jackServer?: string;
  readonly jackName?: string;
  readonly capturePorts?: string;
  readonly playbackPorts?: string;
  readonly autoConnect: boolean;
  readonly device?: string;
  readonly inputDevice?: string;
  readonly outputDevice?: string;
  readonly inputChannels?: string;
  readonly outputChannels?: string;
  readonly period?: string;
}

/** Flags only one backend reads (--record, --play and the clock's are the virtual card's). */
const BACKEND_FLAGS = {
  virtual: ['record', 'play', 'raw', 'sampleRate', 'skewPpm'],
  jack: JACK_FLAGS,
  coreaudio: COREAUDIO_FLAGS,
} as const;

const STATS_INTERVAL_MS = 1000;
/** Carriage return, then erase to the end of the line: the status line is redrawn in place. */
const REDRAW = '\r\x1b[K';

/**
 * `syfala connect`: streams with a server until --duration or Ctrl-C, recording what it sends
 * and playing a file or a tone to it, with a status line (or JSON stats) every second. Returns 1
 * when the server ended the session first.
 */
export async function connectCommand(text: string, flags: ConnectFlags): Promise<number> {
  const misplaced = foreignFlag(flags.backend, BACKEND_FLAGS, (key) => flags[key] !== undefined);
  if (misplaced !== undefined) {
    throw new CliError(
      `${flagOf(misplaced.key)} needs --backend ${misplaced.backend} (this is --backend ${flags.backend})`,
    );
  }
  const timeoutMs = timeValue(flags.timeout, '--timeout', 'ms');
  const durationMs =
    flags.duration === undefined ? undefined : timeValue(flags.duration, '--duration', 's');
  const psk = flags.psk === undefined ? undefined : pskValue(flags.psk, '--psk');
  const playout = resolvePlayout(flags.backend, {
    latency: flags.latency === undefined ? undefined : latencyValue(flags.latency, '--latency'),
    driftCompensation: flags.driftCompensation,
    names: {
      latency: '--latency',
      driftCompensation:
        flags.driftCompensation === false ? '--no-drift-compensation' : '--drift-compensation',
    },
  });
  const redundancy =
    flags.redundancy === undefined
      ? undefined
      : integerValue(flags.redundancy, '--redundancy', 0, MAX_REDUNDANCY_PERIODS);
  const concealment =
    flags.concealment === undefined
      ? undefined
      : oneOf(flags.concealment, '--concealment', CONCEALMENT_MODES);
  const skewPpm =
    flags.skewPpm === undefined
      ? undefined
      : numberValue(flags.skewPpm, '--skew-ppm', -MAX_SKEW_PPM, MAX_SKEW_PPM);
  const sampleRate =
    flags.sampleRate === undefined
      ? undefined
      : integerValue(flags.sampleRate, '--sample-rate', MIN_SAMPLE_RATE, MAX_SAMPLE_RATE);
  const clientName =
    flags.clientName === undefined ? undefined : clientNameValue(flags.clientName, '--client-name');
  checkPipeFlags(flags);
  if (flags.play !== undefined && flags.play !== STDIO) await checkReadable(flags.play, '--play');
  if (flags.record !== undefined && flags.record !== STDIO) {
    await checkWritable(flags.record, '--record');
  }

  const endpoint = await resolveEndpoint(text, {
    timeoutMs,
    progress: terminalProgress(),
    ...(flags.interface !== undefined && {
      interface: interfaceValue(flags.interface, '--interface'),
    }),
  });
  if (endpoint.controlPort === 0) {
    throw new CliError(
      `${endpoint.name} (${endpoint.host}) speaks UDP control only; syfala connect needs TCP control`,
    );
  }
  const formats = await endpointFormats(endpoint, psk);
  const jack = flags.backend === 'jack' ? jackClient(endpoint, flags) : undefined;
  // The card's own rate: a JACK server's is set (jackd -r); the virtual card takes --sample-rate.
  const deviceSampleRate = jack !== undefined ? jackServerInfo(jack.server).sampleRate : sampleRate;
  checkDeviceRate(formats, deviceSampleRate, playout, {
    streams: `${endpoint.name} streams`,
    card: jack !== undefined ? 'the JACK server runs' : 'this card runs',
    drift: flags.driftCompensation === false ? '--no-drift-compensation' : undefined,
  });
  const files = clientDevice(endpoint, formats, flags);
  if (flags.play !== undefined && flags.play !== STDIO) {
    const stream = formats.outputs[0]!;
    await checkPlayable(flags.play, {
      ...stream,
      sampleRate: deviceSampleRate ?? stream.sampleRate,
    });
  }
  // Last, as it reads stdin's header: from here on, every way out closes the pipes.
  const pipes = await openPipes(flags, endpoint.name, atRate(formats, deviceSampleRate));
  const device = withPipes(files, pipes);
  const card: DeviceChoice =
    jack !== undefined
      ? { backend: 'jack', options: jack }
      : flags.backend === 'coreaudio'
        ? { backend: 'coreaudio', options: coreAudioOptions((key) => flags[key], flagOf) }
        : {
            backend: 'virtual',
            options: {
              ...device,
              ...(skewPpm !== undefined && { skewPpm }),
            },
          };
  const out = pipes.text;
  const mode = flags.json === true || !out.isTTY ? 'json' : 'status';

  let startedAt = 0;
  let stoppedAt = 0;
  let streaming = false;
  let timer: NodeJS.Timeout | undefined;
  const rateOf = (wire: number): number | undefined => formats.inputs[wire]?.sampleRate;
  // On a terminal a note takes the status line's place; the next redraw puts it back below.
  const note = (text: string): void => {
    process.stderr.write(
      `${mode === 'status' && process.stderr.isTTY ? REDRAW : ''}syfala: ${text}\n`,
    );
  };
  const arrivals = arrivalWatch(endpoint.name, note);
  // `serverView`: the server's latest Stats, what it gets from us (OBSERVABILITY.md §1).
  const report = (stats: EngineStats, serverView: PeerStatsReport | undefined): void => {
    if (!streaming) return;
    arrivals(stats, performance.now() - startedAt);
    const status = streamStatus(stats, performance.now() - startedAt, rateOf);
    out.write(
      mode === 'json'
        ? `${JSON.stringify({ type: 'stats', ...status, ...(serverView && { serverView: serverView.session }) })}\n`
        : `${REDRAW}${statusLine(status, serverView?.session, flags.backend)}`,
    );
  };
  // Only from here on does Ctrl-C stop cleanly; before, nothing needs closing and it just exits.
  const stop = waitForSignal(['SIGINT', 'SIGTERM']);
  let result: StreamResult | undefined;
  let failure: unknown;
  try {
    result = await streamWith(endpoint, {
      device: card,
      ...(psk !== undefined && { psk }),
      encryption: flags.encryption,
      playout,
      ...(deviceSampleRate !== undefined && { deviceSampleRate }),
      ...(redundancy !== undefined && { redundancy }),
      ...(concealment !== undefined && { concealment }),
      ...(clientName !== undefined && { clientName }),
      statsIntervalMs: STATS_INTERVAL_MS,
      onStats: report,
      until: ({ ended, encrypted }) => {
        startedAt = performance.now();
        // Stopping, disconnecting and flushing the files take a while: that is not streaming time.
        const stopped = (): void => {
          stoppedAt ||= performance.now();
        };
        void ended.then(stopped);
        streaming = true;
        if (mode === 'status') {
          out.write(
            `streaming with ${endpoint.name} (${endpointAddress(endpoint)}): receiving ` +
              `${describeFormats(formats.inputs)}, sending ${describeFormats(formats.outputs)}; ` +
              'Ctrl-C stops\n',
          );
          out.write(`${audioProtection(encrypted, psk !== undefined, flags.encryption)}\n`);
        }
        const waits: Promise<unknown>[] = [stop.received];
        if (pipes.recording !== undefined) waits.push(pipes.recording.broken);
        if (durationMs !== undefined) {
          waits.push(new Promise((resolve) => (timer = setTimeout(resolve, durationMs))));
        }
        return Promise.race(waits).then(stopped);
      },
    });
    failure = result.failed;
  } catch (error) {
    failure = error;
  } finally {
    streaming = false;
    clearTimeout(timer);
    stop.dispose();
    if (mode === 'status') out.write(REDRAW);
  }
  const pipeNotes = await pipes.close();

  // A failure ended streaming (if it ever started) when it was seen.
  const elapsedMs = startedAt === 0 ? 0 : (stoppedAt || performance.now()) - startedAt;
  printSummary(
    summarize(result, failure, formats, elapsedMs, device, flags.play, {
      psk: psk !== undefined,
      offered: flags.encryption,
    }),
    endpoint,
    mode,
    out,
  );
  for (const note of pipeNotes) process.stderr.write(`syfala: ${note}\n`);
  if (result === undefined || failure !== undefined) throw failure;
  if ((redundancy ?? 0) > result.redundancy.serverToClient) {
    process.stderr.write(
      `syfala: ${endpoint.name} sends ${result.redundancy.serverToClient} redundant period(s), not the ${redundancy} asked for\n`,
    );
  }
  if (result.ended === undefined) return 0;
  process.stderr.write(`syfala: ${describeEnd(result.ended)}\n`);
  return 1;
}

/**
 * Says on stderr, once, when the server's audio stops arriving (nothing new between two stats),
 * and once more if it comes back: the concealment plays on, so a listener may not notice.
 */
function arrivalWatch(
  name: string,
  note: (text: string) => void,
): (stats: EngineStats, elapsedMs: number) => void {
  let heard = { bytes: 0, atMs: 0 };
  let silent = false;
  return (stats, elapsedMs) => {
    const received = stats.peers[0]?.received ?? [];
    if (received.length === 0) return;
    const bytes = received.reduce((total, stream) => total + stream.receivedBytes, 0);
    const since = ((elapsedMs - heard.atMs) / 1000).toFixed(1);
    if (bytes > heard.bytes) {
      if (silent) note(`audio from ${name} resumed after ${since} s`);
      silent = false;
      heard = { bytes, atMs: elapsedMs };
    } else if (!silent) {
      silent = true;
      note(`no audio has arrived from ${name} for ${since} s`);
    }
  };
}

interface ClientDevice {
  readonly sources: VirtualSource[];
  readonly sinks: VirtualSink[];
}

/**
 * The client's virtual card: it plays the server's inputs (recorded to --record, input stream 1
 * to FILE.wav, stream N to FILE-N.wav) and captures the server's outputs (--play for stream 1,
 * played once; the default tone for the rest).
 */
function clientDevice(
  endpoint: Endpoint,
  formats: StreamFormats,
  flags: ConnectFlags,
): ClientDevice {
  const { record, play } = flags;
  if (record !== undefined && formats.inputs.length === 0) {
    throw new CliError(`${endpoint.name} has no input streams, so --record has nothing to record`);
  }
  if (play !== undefined && formats.outputs.length === 0) {
    throw new CliError(`${endpoint.name} has no output streams, so --play has nowhere to play`);
  }
  return {
    sources: play === undefined || play === STDIO ? [] : [{ kind: 'wav', path: play, loop: false }],
    sinks:
      record === undefined || record === STDIO
        ? []
        : formats.inputs.map((_, i) => ({ kind: 'wav', path: numberedPath(record, i) })),
  };
}

/** The card with stdin as its input 0 and stdout as its output 0 where the flags name them. */
function withPipes(device: ClientDevice, pipes: ConnectPipes): ClientDevice {
  return {
    sources: pipes.playback === undefined ? device.sources : [pipes.playback.source],
    sinks: pipes.recording === undefined ? device.sinks : [pipes.recording.sink],
  };
}

/**
 * The client is the endpoint's sound card in this JACK graph, named as system's ports are:
 * `capture_1` (a JACK output) carries what the endpoint captures, `playback_1` (a JACK input)
 * what it plays; with several streams, `capture2_1` is stream 2's channel 1. Patchbays show
 * the endpoint's name ("Studio A capture 1").
 */
function jackClient(endpoint: Endpoint, flags: ConnectFlags): JackDeviceOptions {
  // JACK client names may not hold ':' and are at most 63 bytes.
  const name = `syfala-${endpoint.name}`.replace(/[:\s]+/g, '-').slice(0, 48);
  return {
    ...(flags.jackServer !== undefined && { server: flags.jackServer }),
    clientName: flags.jackName ?? name,
    prettyName: endpoint.name,
    inputPrefix: 'playback',
    outputPrefix: 'capture',
    connectInputsFrom:
      flags.capturePorts === undefined ? [] : portList(flags.capturePorts, '--capture-ports'),
    connectOutputsTo:
      flags.playbackPorts === undefined ? [] : portList(flags.playbackPorts, '--playback-ports'),
    autoConnect: flags.autoConnect,
  };
}

/**
 * Checks that the file fits the stream it is played to before the session starts: the device
 * opens only once the server has admitted us, and cannot resample or remix.
 */
async function checkPlayable(path: string, stream: Format): Promise<void> {
  const { format, warning } = await inspectWav(path, '--play');
  const { sampleRate, channels } = format;
  if (sampleRate !== stream.sampleRate || channels !== stream.channels) {
    throw new CliError(
      `--play: ${path} is ${sampleRate} Hz, ${channels} channel(s), but output stream 1 is ` +
        `${describeFormat(stream)} (convert it first, e.g. sox ${path} -r ${stream.sampleRate} ` +
        `-c ${stream.channels} converted.wav)`,
    );
  }
  if (warning !== undefined) process.stderr.write(`syfala: warning: ${warning}\n`);
}

/** What `connect` prints last, on every way out once the session is under way. */
interface Summary {
  readonly type: 'summary';
  readonly elapsedS: number;
  /**
   * Per received stream (the server's inputs): frames received, and frames played that never
   * arrived (missingFrames: lost, plus underrunFrames once the stream had started).
   */
  readonly streams: {
    wire: number;
    framesReceived: number;
    missingFrames: number;
    lostFrames: number;
    underrunFrames: number;
    /** Frames that arrived but were dropped unplayed: the buffer held too much (a slip). */
    skippedFrames: number;
    /** The jitter-buffer target at the end (with --latency auto, where it settled). */
    targetLatencyFrames: number;
    /** Arrival jitter (µs) and clock drift (ppm), when measured (playoutStats). */
    jitterUs?: number;
    driftPpm?: number;
  }[];
  readonly recorded: string[];
  readonly played: string | undefined;
  /** Redundant periods in force: received from the server, and sent to it. */
  readonly redundancy: Redundancy;
  /** The line `connect` printed about encryption (audioProtection), once the session was up. */
  readonly audio: string | undefined;
  /**
   * Encrypted audio: the server's datagrams dropped unplayed, as failing authentication and as
   * replays (docs/SECURITY.md §4).
   */
  readonly authFailed?: number;
  readonly replayed?: number;
  /**
   * The server's view of this client's audio, its session totals from its last Stats (what it
   * received from us, and lost); absent when it sent none.
   */
  readonly serverView?: PeerStatsReport['session'];
  /** Set when the server ended the session first. */
  readonly ended: SessionEnd | undefined;
  /** Set when this side failed: the sentence stderr shows too. */
  readonly failed: string | undefined;
}

/** `result` is missing when the session failed before streaming (refused, no device). */
function summarize(
  result: StreamResult | undefined,
  failure: unknown,
  formats: StreamFormats,
  elapsedMs: number,
  device: ClientDevice,
  played: string | undefined,
  encryption: { readonly psk: boolean; readonly offered: boolean },
): Summary {
  const received = result?.stats.peers[0]?.received ?? [];
  const security = result?.stats.peers[0]?.security;
  return {
    type: 'summary',
    elapsedS: Math.round(elapsedMs / 100) / 10,
    streams: received.map((stream) => {
      const format = formats.inputs[stream.wire];
      return {
        wire: stream.wire,
        framesReceived:
          format === undefined ? 0 : Math.floor(stream.receivedBytes / bytesPerFrame(format)),
        missingFrames: missingFrames(stream),
        lostFrames: stream.lostFrames,
        underrunFrames: stream.underrunFrames,
        skippedFrames: stream.skippedFrames,
        targetLatencyFrames: stream.targetLatencyFrames,
        ...playoutStats(stream),
      };
    }),
    recorded:
      result === undefined
        ? []
        : device.sinks.flatMap((sink) =>
            sink.kind === 'wav' ? [sink.path] : sink.kind === 'ring' ? ['stdout'] : [],
          ),
    played: played === STDIO ? 'stdin' : played,
    redundancy: result?.redundancy ?? { serverToClient: 0, clientToServer: 0 },
    audio:
      result === undefined
        ? undefined
        : audioProtection(result.encrypted, encryption.psk, encryption.offered),
    ...(security !== undefined && {
      authFailed: security.authFailed,
      replayed: security.replayed,
    }),
    ...(result?.serverView !== undefined && { serverView: result.serverView.session }),
    ended: result?.ended,
    failed: failure === undefined ? undefined : describeError(failure),
  };
}

/** The summary as the stats came: one JSON line, or text for a person. */
function printSummary(
  summary: Summary,
  endpoint: Endpoint,
  mode: 'json' | 'status',
  out: NodeJS.WritableStream,
): void {
  out.write(
    mode === 'json' ? `${JSON.stringify(summary)}\n` : `${summaryText(summary, endpoint)}\n`,
  );
}

function summaryText(summary: Summary, endpoint: Endpoint): string {
  const frames = summary.streams.map((s) => s.framesReceived);
  const total = (key: 'missingFrames' | 'lostFrames'): number =>
    summary.streams.reduce((sum, s) => sum + s[key], 0);
  const lines = [
    `streamed ${summary.elapsedS} s with ${endpoint.name} (${endpoint.host}): received ` +
      `${frames.length === 0 ? 0 : frames.join(' + ')} frames, missing ${total('missingFrames')} ` +
      `(lost ${total('lostFrames')})`,
  ];
  const first = summary.streams[0];
  if (first !== undefined) {
    lines.push(
      [`target ${first.targetLatencyFrames} fr at the end`, ...playoutParts(first)].join(', '),
    );
  }
  if (summary.recorded.length > 0) lines.push(`recorded ${summary.recorded.join(', ')}`);
  if (summary.played !== undefined) lines.push(`played ${summary.played}`);
  const { serverToClient, clientToServer } = summary.redundancy;
  if (serverToClient + clientToServer > 0) {
    lines.push(`redundancy: ${serverToClient} period(s) received again, ${clientToServer} sent`);
  }
  if (summary.audio !== undefined) {
    const dropped =
      summary.authFailed === undefined
        ? ''
        : `; auth failures ${summary.authFailed}, replays ${summary.replayed}`;
    lines.push(`${summary.audio}${dropped}`);
  }
  if (summary.serverView !== undefined) {
    lines.push(`${endpoint.name} says: ${statsCountersText(summary.serverView)}`);
  }
  return lines.join('\n');
}

/**
 * What protects the audio, in one line: encrypted (authenticated with a pre-shared key), or not
 * and why. `offered`: false with --no-encryption.
 */
function audioProtection(encrypted: boolean, psk: boolean, offered: boolean): string {
  if (encrypted) {
    return psk
      ? 'audio: encrypted (ChaCha20-Poly1305, keys bound to the pre-shared key)'
      : 'audio: encrypted (ChaCha20-Poly1305, not authenticated: no pre-shared key)';
  }
  return `audio: NOT encrypted (${offered ? 'server does not offer it' : '--no-encryption'})`;
}

function describeEnd(end: SessionEnd): string {
  const detail = end.text === '' ? '' : ` (${end.text})`;
  switch (end.reason) {
    case 'connection-lost':
      return `the connection to the server was lost${detail}`;
    case 'timeout':
      return 'the server stopped answering (no heartbeat within the timeout)';
    case 'device-lost':
      return `the server lost its sound card${detail}`;
    default:
      return `the server ended the session: ${end.reason}${detail}`;
  }
}
