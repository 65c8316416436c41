import { MAX_SKEW_PPM } from '@syfala/audio';
import type { CoreAudioDeviceOptions } from '@syfala/backend-coreaudio';
import { MAX_REDUNDANCY_PERIODS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '@syfala/proto';
import { CliError } from '../../cli-error.js';
import {
  COREAUDIO_FLAGS,
  coreAudioOptions,
  flagOf,
  foreignFlag,
  JACK_FLAGS,
  type Backend,
} from '../../backend-flags.js';
import { CONCEALMENT_MODES, type ConcealmentMode } from '../../daemon.js';
import {
  checkReadable,
  checkWritable,
  clientNameValue,
  datagramBudgetValue,
  integerValue,
  interfaceValue,
  numberValue,
  oneOf,
  portList,
  pskValue,
  timeValue,
} from '../../option-values.js';
import { checkPipeFlags, STDIO, type PipeFlags } from '../../pipe-audio.js';
import { latencyValue, resolvePlayout, type Playout } from '../../playout.js';

/** `connect`'s flags as commander parses them: strings, unchecked. */
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
  readonly datagramBudget?: string;
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

/** The virtual card: files or pipes to record and play, and its clock. */
export interface VirtualCardPlan extends PipeFlags {
  readonly backend: 'virtual';
  /** Its rate, when not the endpoint's (Hz). */
  readonly sampleRate?: number;
  readonly skewPpm?: number;
}

/** A JACK client; its name defaults to the endpoint's, known once it is found. */
export interface JackCardPlan {
  readonly backend: 'jack';
  readonly server?: string;
  readonly clientName?: string;
  readonly connectInputsFrom: readonly string[];
  readonly connectOutputsTo: readonly string[];
  readonly autoConnect: boolean;
}

export interface CoreAudioCardPlan {
  readonly backend: 'coreaudio';
  readonly options: CoreAudioDeviceOptions;
}

/** What `connect` will do, every flag checked: plain data, nothing opened yet. */
export interface ConnectPlan {
  readonly card: VirtualCardPlan | JackCardPlan | CoreAudioCardPlan;
  /** How long to look for the endpoint (ms). */
  readonly timeoutMs: number;
  /** Absent: until Ctrl-C (ms). */
  readonly durationMs?: number;
  /** IPv4 address of the interface to look on. */
  readonly interface?: string;
  readonly psk?: string;
  /** False with --no-encryption. */
  readonly encryption: boolean;
  readonly playout: Playout;
  /** The drift flag as given ('--no-drift-compensation'), for a refusal to name it. */
  readonly driftFlag?: string;
  readonly redundancy?: number;
  readonly concealment?: ConcealmentMode;
  readonly datagramBudgetBytes?: number | 'auto';
  readonly clientName?: string;
  /** --json: JSON lines even on a terminal. */
  readonly json: boolean;
}

/**
 * Checks every flag, in the order a person reads them on the help page, and refuses the first
 * bad one with a CliError naming it and its value; files to play are checked readable and
 * recordings' folders writable. Nothing about the endpoint is known yet.
 */
export async function connectPlan(flags: ConnectFlags): Promise<ConnectPlan> {
  const misplaced = foreignFlag(flags.backend, BACKEND_FLAGS, (key) => flags[key] !== undefined);
  if (misplaced !== undefined) {
    throw new CliError(
      `${flagOf(misplaced.key)} needs --backend ${misplaced.backend} (this is --backend ${flags.backend})`,
    );
  }
  const timeoutMs = timeValue(flags.timeout, '--timeout', 'ms');
  const durationMs = given(flags.duration, (v) => timeValue(v, '--duration', 's'));
  const psk = given(flags.psk, (v) => pskValue(v, '--psk'));
  const driftFlag =
    flags.driftCompensation === false ? '--no-drift-compensation' : '--drift-compensation';
  const playout = resolvePlayout(flags.backend, {
    latency: given(flags.latency, (v) => latencyValue(v, '--latency')),
    driftCompensation: flags.driftCompensation,
    names: { latency: '--latency', driftCompensation: driftFlag },
  });
  const redundancy = given(flags.redundancy, (v) =>
    integerValue(v, '--redundancy', 0, MAX_REDUNDANCY_PERIODS),
  );
  const concealment = given(flags.concealment, (v) => oneOf(v, '--concealment', CONCEALMENT_MODES));
  const datagramBudgetBytes = given(flags.datagramBudget, (v) =>
    datagramBudgetValue(v, '--datagram-budget'),
  );
  const clientName = given(flags.clientName, (v) => clientNameValue(v, '--client-name'));
  const card = await cardPlan(flags);
  const networkInterface = given(flags.interface, (v) => interfaceValue(v, '--interface'));
  return {
    card,
    timeoutMs,
    ...(durationMs !== undefined && { durationMs }),
    ...(networkInterface !== undefined && { interface: networkInterface }),
    ...(psk !== undefined && { psk }),
    encryption: flags.encryption,
    playout,
    ...(flags.driftCompensation === false && { driftFlag }),
    ...(redundancy !== undefined && { redundancy }),
    ...(concealment !== undefined && { concealment }),
    ...(datagramBudgetBytes !== undefined && { datagramBudgetBytes }),
    ...(clientName !== undefined && { clientName }),
    json: flags.json === true,
  };
}

/** The checked value of a flag that was given. */
function given<T>(value: string | undefined, check: (value: string) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** The backend's own flags; the virtual card's last, as they check files. */
async function cardPlan(flags: ConnectFlags): Promise<ConnectPlan['card']> {
  if (flags.backend === 'jack') {
    return {
      backend: 'jack',
      ...(flags.jackServer !== undefined && { server: flags.jackServer }),
      ...(flags.jackName !== undefined && { clientName: flags.jackName }),
      connectInputsFrom: given(flags.capturePorts, (v) => portList(v, '--capture-ports')) ?? [],
      connectOutputsTo: given(flags.playbackPorts, (v) => portList(v, '--playback-ports')) ?? [],
      autoConnect: flags.autoConnect,
    };
  }
  if (flags.backend === 'coreaudio') {
    return { backend: 'coreaudio', options: coreAudioOptions((key) => flags[key], flagOf) };
  }
  const { record, play, raw } = flags;
  const skewPpm = given(flags.skewPpm, (v) =>
    numberValue(v, '--skew-ppm', -MAX_SKEW_PPM, MAX_SKEW_PPM),
  );
  const sampleRate = given(flags.sampleRate, (v) =>
    integerValue(v, '--sample-rate', MIN_SAMPLE_RATE, MAX_SAMPLE_RATE),
  );
  checkPipeFlags(flags);
  if (play !== undefined && play !== STDIO) await checkReadable(play, '--play');
  if (record !== undefined && record !== STDIO) await checkWritable(record, '--record');
  return {
    backend: 'virtual',
    ...(record !== undefined && { record }),
    ...(play !== undefined && { play }),
    ...(raw === true && { raw }),
    ...(sampleRate !== undefined && { sampleRate }),
    ...(skewPpm !== undefined && { skewPpm }),
  };
}
