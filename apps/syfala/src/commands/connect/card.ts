import type { VirtualSink, VirtualSource } from '@syfala/audio';
import type { JackDeviceOptions } from '@syfala/backend-jack';
import type { Endpoint } from '@syfala/network';
import { describeFormat, type Format, type StreamFormats } from '@syfala/proto';
import { atRate } from '@syfala/remote';
import { CliError } from '../../cli-error.js';
import { jackServerInfo } from '../../backend-flags.js';
import type { DeviceChoice } from '../../engines.js';
import { numberedPath } from '../../option-values.js';
import { openPipes, STDIO, type ConnectPipes, type PipeFlags } from '../../pipe-audio.js';
import { checkDeviceRate } from '../../playout.js';
import { inspectWav } from '../../wav-files.js';
import type { ConnectPlan, JackCardPlan } from './plan.js';
import type { CardFiles } from './summary.js';

/** The client's sound card, ready to open once the server admits us. */
export interface ClientCard {
  readonly device: DeviceChoice;
  /** The rate the card runs at, when set apart from the endpoint's (JACK's, --sample-rate). */
  readonly deviceSampleRate: number | undefined;
  /** Stdout and stdin, where --record - and --play - name them; close them on every way out. */
  readonly pipes: ConnectPipes;
  readonly files: CardFiles;
}

/**
 * The card `plan` chose, checked against the endpoint's streams before the session starts (the
 * device opens only once the server has admitted us): its rate, and the files it records and
 * plays. The pipes open last, as stdin's header is read then.
 */
export async function clientCard(
  endpoint: Endpoint,
  formats: StreamFormats,
  plan: ConnectPlan,
): Promise<ClientCard> {
  const { card } = plan;
  const native: DeviceChoice | undefined =
    card.backend === 'jack'
      ? { backend: 'jack', options: jackClient(endpoint, card) }
      : card.backend === 'coreaudio'
        ? { backend: 'coreaudio', options: card.options }
        : undefined;
  const virtual = card.backend === 'virtual' ? card : undefined;
  // The card's own rate: a JACK server's is set (jackd -r); the virtual card takes --sample-rate.
  const deviceSampleRate =
    native?.backend === 'jack'
      ? (await jackServerInfo(native.options.server, native.options.clientName)).sampleRate
      : virtual?.sampleRate;
  checkDeviceRate(formats, deviceSampleRate, plan.playout, {
    streams: `${endpoint.name} streams`,
    card: native?.backend === 'jack' ? 'the JACK server runs' : 'this card runs',
    drift: plan.driftFlag,
  });
  const pipeFlags: PipeFlags = virtual ?? {};
  const files = fileDevice(endpoint, formats, pipeFlags);
  if (pipeFlags.play !== undefined && pipeFlags.play !== STDIO) {
    const stream = formats.outputs[0]!;
    await checkPlayable(pipeFlags.play, {
      ...stream,
      sampleRate: deviceSampleRate ?? stream.sampleRate,
    });
  }
  const pipes = await openPipes(pipeFlags, endpoint.name, atRate(formats, deviceSampleRate));
  const sources = pipes.playback === undefined ? files.sources : [pipes.playback.source];
  const sinks = pipes.recording === undefined ? files.sinks : [pipes.recording.sink];
  const skewPpm = virtual?.skewPpm;
  return {
    device: native ?? {
      backend: 'virtual',
      options: { sources, sinks, ...(skewPpm !== undefined && { skewPpm }) },
    },
    deviceSampleRate,
    pipes,
    files: {
      recorded: sinks.flatMap((sink) =>
        sink.kind === 'wav' ? [sink.path] : sink.kind === 'ring' ? ['stdout'] : [],
      ),
      played: pipeFlags.play === STDIO ? 'stdin' : pipeFlags.play,
    },
  };
}

/**
 * The virtual card's files: it plays the server's inputs (recorded to --record, input stream 1
 * to FILE.wav, stream N to FILE-N.wav) and captures the server's outputs (--play for stream 1,
 * played once; the default tone for the rest).
 */
function fileDevice(
  endpoint: Endpoint,
  formats: StreamFormats,
  { record, play }: PipeFlags,
): { sources: VirtualSource[]; sinks: VirtualSink[] } {
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

/**
 * The client is the endpoint's sound card in this JACK graph, named as system's ports are:
 * `capture_1` (a JACK output) carries what the endpoint captures, `playback_1` (a JACK input)
 * what it plays; with several streams, `capture2_1` is stream 2's channel 1. Patchbays show
 * the endpoint's name ("Studio A capture 1").
 */
function jackClient(endpoint: Endpoint, card: JackCardPlan): JackDeviceOptions {
  // JACK client names may not hold ':' and are at most 63 bytes.
  const name = `syfala-${endpoint.name}`.replace(/[:\s]+/g, '-').slice(0, 48);
  return {
    ...(card.server !== undefined && { server: card.server }),
    clientName: card.clientName ?? name,
    prettyName: endpoint.name,
    inputPrefix: 'playback',
    outputPrefix: 'capture',
    connectInputsFrom: card.connectInputsFrom,
    connectOutputsTo: card.connectOutputsTo,
    autoConnect: card.autoConnect,
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
