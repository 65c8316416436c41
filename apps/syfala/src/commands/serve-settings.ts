import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { JackServerInfo } from '@syfala/backend-jack';
import type { ServerDiscoveryOptions } from '@syfala/network';
import {
  MAX_NAME_BYTES,
  MAX_STREAMS_PER_DIRECTION,
  isId,
  makeFormat,
  type Format,
} from '@syfala/proto';
import { CliError } from '../cli-error.js';
import {
  BACKENDS,
  COREAUDIO_FLAGS,
  coreAudioDefaultFormats,
  coreAudioOptions,
  foreignFlag,
  JACK_FLAGS,
  jackServerInfo,
} from '../backend-flags.js';
import { CONCEALMENT_MODES, type DaemonOptions } from '../daemon.js';
import type { DeviceChoice } from '../engines.js';
import { parseFormats } from '../format-spec.js';
import { inspectWav } from '../wav-files.js';
import {
  booleanValue,
  checkReadable,
  checkWritable,
  datagramBudgetValue,
  integerValue,
  interfaceValue,
  ipv4Value,
  listenValue,
  oneOf,
  portValue,
  portList,
  pskValue,
  sinkSpec,
  sourceSpec,
  stringValue,
} from '../option-values.js';
import type { LogFormat } from '../output.js';
import { checkDeviceRate, latencyValue, resolvePlayout, type Playout } from '../playout.js';

/** Options that only mean something to one backend: given with another, they are a mistake. */
const BACKEND_KEYS = {
  virtual: ['source', 'sink'],
  jack: [...JACK_FLAGS, 'autoConnect'],
  coreaudio: COREAUDIO_FLAGS,
} as const;

/** Every serve option a config file may set: the flags' names in camelCase. */
const SERVE_KEYS = [
  'backend',
  'name',
  'id',
  'inputs',
  'outputs',
  'udpPort',
  'controlPort',
  'audioPort',
  'bind',
  'interface',
  'psk',
  'encryption',
  'source',
  'sink',
  'latency',
  'driftCompensation',
  'datagramBudget',
  'concealment',
  'mdns',
  'multicast',
  'maxSessions',
  'log',
  'metrics',
  ...BACKEND_KEYS.jack,
  ...BACKEND_KEYS.coreaudio,
] as const;

type ServeKey = (typeof SERVE_KEYS)[number];

const MAX_SESSIONS = 1024;

export interface ServeSettings {
  readonly log: LogFormat;
  /** Where `--metrics` serves /metrics, the status page and /status.json; absent: off. */
  readonly metrics?: { readonly address: string; readonly port: number; readonly name: string };
  readonly daemon: DaemonOptions & { readonly playout: Playout; readonly host: string };
  /** Worth saying before serving (a WAV source cut short), one sentence each. */
  readonly warnings: readonly string[];
}

/** An option's value and how the user wrote it, for error messages. */
interface Given {
  readonly value: unknown;
  readonly name: string;
  /** False for a default. */
  readonly set: boolean;
}

/**
 * Serve's settings from the flags, the --config file and the defaults, in that order of
 * precedence, all checked (CliError naming the flag or the config key) before anything opens.
 */
export async function serveSettings(command: Command): Promise<ServeSettings> {
  const flags = command.opts<Record<string, unknown>>();
  const configPath = flags['config'] as string | undefined;
  const config = configPath === undefined ? {} : await readConfig(configPath);
  const given = (key: ServeKey): Given => {
    const source = command.getOptionValueSource(key);
    const onCommandLine = source === 'cli' || source === 'env';
    if (!onCommandLine && key in config) {
      return { value: config[key], name: `${key} in ${configPath}`, set: true };
    }
    return { value: flags[key], name: flagName(command, key, flags[key]), set: onCommandLine };
  };
  const optional = <T>(
    key: ServeKey,
    check: (value: unknown, name: string) => T,
  ): T | undefined => {
    const { value, name } = given(key);
    return value === undefined ? undefined : check(value, name);
  };
  const required = <T>(key: ServeKey, check: (value: unknown, name: string) => T): T => {
    const { value, name } = given(key);
    return check(value, name);
  };

  const backend = required('backend', (value, name) => oneOf(value, name, BACKENDS));
  const misplaced = foreignFlag(backend, BACKEND_KEYS, (key) => given(key).set);
  if (misplaced !== undefined) {
    throw new CliError(
      `${given(misplaced.key).name} needs --backend ${misplaced.backend} (this is --backend ${backend})`,
    );
  }
  // The virtual card's sources and sinks are checked once the formats are known.
  const sources = optional('source', (value, name) => specs(value, name, sourceSpec)) ?? [];
  const sinks = optional('sink', (value, name) => specs(value, name, sinkSpec)) ?? [];
  const name = required('name', endpointName);
  const jackServer = optional('jackServer', nonEmpty);
  const device: DeviceChoice =
    backend === 'jack'
      ? {
          backend,
          options: {
            ...(jackServer !== undefined && { server: jackServer }),
            clientName: required('jackName', nonEmpty),
            prettyName: name,
            connectInputsFrom: optional('capturePorts', portList) ?? [],
            connectOutputsTo: optional('playbackPorts', portList) ?? [],
            autoConnect: required('autoConnect', booleanValue),
          },
        }
      : backend === 'coreaudio'
        ? {
            backend,
            options: coreAudioOptions(
              (key) => given(key).value,
              (key) => given(key).name,
            ),
          }
        : { backend, options: { sources, sinks } };
  // A native device's clock sets the default streams: all its channels, at its rate and period.
  // Asked of CoreAudio only when a direction was not given; of JACK always, for its rate.
  const jack =
    device.backend === 'jack'
      ? await jackServerInfo(device.options.server, device.options.clientName)
      : undefined;
  const defaults =
    device.backend === 'virtual' || (given('inputs').set && given('outputs').set)
      ? undefined
      : jack !== undefined
        ? jackDefaultFormats(jack)
        : device.backend === 'coreaudio'
          ? coreAudioDefaultFormats(device.options)
          : undefined;
  const formatsOf = (key: 'inputs' | 'outputs'): Format[] =>
    defaults !== undefined && !given(key).set ? defaults[key] : required(key, formatList);
  const formats = { inputs: formatsOf('inputs'), outputs: formatsOf('outputs') };
  const bind = required('bind', ipv4Value);
  const networkInterface = optional('interface', interfaceValue);
  const multicastGiven = given('multicast');
  // A socket bound to one address never receives multicast: the network package refuses to join.
  const multicast = multicastGiven.set
    ? booleanValue(multicastGiven.value, multicastGiven.name)
    : bind === '0.0.0.0';
  const mdns = required('mdns', booleanValue);
  const discovery: ServerDiscoveryOptions = {
    ...(!multicast && { group: false }),
    ...(networkInterface !== undefined && { interfaces: [networkInterface] }),
    mdns: mdns ? (networkInterface === undefined ? {} : { interface: networkInterface }) : false,
  };
  const warnings: string[] = [];
  if (backend === 'virtual') {
    checkCount(sources, formats.inputs, given('source').name, 'input');
    checkCount(sinks, formats.outputs, given('sink').name, 'output');
    for (const source of sources) {
      if (source.kind !== 'wav') continue;
      await checkReadable(source.path, given('source').name);
      const { warning } = await inspectWav(source.path, given('source').name);
      if (warning !== undefined) warnings.push(warning);
    }
    for (const sink of sinks) {
      if (sink.kind === 'wav') await checkWritable(sink.path, given('sink').name);
    }
  }
  const psk = optional('psk', pskValue);
  const encryption = required('encryption', booleanValue);
  const id = optional('id', (value, name) => {
    if (!isId(value)) {
      throw new CliError(
        `${name} must be a lowercase 8-4-4-4-12 hex id (e.g. from uuidgen), got ${String(value)}`,
      );
    }
    return value;
  });
  const maxSessions = optional('maxSessions', (value, name) =>
    integerValue(value, name, 1, MAX_SESSIONS),
  );
  const driftCompensation = optional('driftCompensation', booleanValue);
  const playout = resolvePlayout(backend, {
    latency: optional('latency', latencyValue),
    driftCompensation,
    names: { latency: given('latency').name, driftCompensation: given('driftCompensation').name },
  });
  // Streams at another rate than the JACK server's are converted (with drift compensation).
  const deviceSampleRate = jack?.sampleRate;
  checkDeviceRate(formats, deviceSampleRate, playout, {
    streams: `${given('inputs').name} and ${given('outputs').name} stream`,
    card: 'the JACK server runs',
    drift: driftCompensation === false ? given('driftCompensation').name : undefined,
  });
  const datagramBudgetBytes = optional('datagramBudget', datagramBudgetValue);
  const log = optional('log', (value, name) => oneOf(value, name, ['text', 'json'] as const));
  const concealment = optional('concealment', (value, name) =>
    oneOf(value, name, CONCEALMENT_MODES),
  );

  const metrics = optional('metrics', (value, name) => ({ ...listenValue(value, name), name }));

  return {
    warnings,
    log: log ?? (process.stderr.isTTY ? 'text' : 'json'),
    ...(metrics !== undefined && { metrics }),
    daemon: {
      name,
      ...(id !== undefined && { id }),
      formats,
      host: bind,
      udpPort: required('udpPort', portValue),
      controlPort: required('controlPort', portValue),
      audioPort: required('audioPort', portValue),
      ...(datagramBudgetBytes !== undefined && { datagramBudgetBytes }),
      ...(psk !== undefined && { psk }),
      encryption,
      ...(maxSessions !== undefined && { maxSessions }),
      playout,
      ...(deviceSampleRate !== undefined && { deviceSampleRate }),
      ...(concealment !== undefined && { concealment }),
      discovery,
      device,
    },
  };
}

/** One stream each way over every physical port, f32 at the JACK server's rate and period. */
function jackDefaultFormats(info: JackServerInfo): { inputs: Format[]; outputs: Format[] } {
  const stream = (channels: number): Format[] =>
    channels === 0
      ? []
      : [
          makeFormat({
            sampleType: 'f32',
            sampleRate: info.sampleRate,
            channels,
            bufferFrames: info.periodFrames,
          }),
        ];
  return {
    inputs: stream(info.physicalCapture.length),
    outputs: stream(info.physicalPlayback.length),
  };
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(
      `--config: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code})`,
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--config: ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CliError(`--config: ${path} must hold a JSON object of serve options`);
  }
  for (const key of Object.keys(config)) {
    if ((SERVE_KEYS as readonly string[]).includes(key)) continue;
    const plain = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');
    const near = SERVE_KEYS.find((known) => plain(known) === plain(key));
    throw new CliError(
      `--config: ${path} has an unknown option "${key}"${near === undefined ? '' : ` (did you mean ${near}?)`}`,
    );
  }
  return config as Record<string, unknown>;
}

/**
 * "--udp-port", "--no-mdns": the flag as the user types it; of a --foo/--no-foo pair, the one
 * that gives `value`.
 */
function flagName(command: Command, key: ServeKey, value: unknown): string {
  const option = command.options.find(
    (o) => o.attributeName() === key && (value !== false || o.negate),
  );
  return option?.long ?? key;
}

function nonEmpty(value: unknown, name: string): string {
  const text = stringValue(value, name);
  if (text.trim() === '') throw new CliError(`${name} must not be empty`);
  return text;
}

/** The name goes into every CONN offer, whose name length is one byte (PROTOCOL.md §5.5). */
function endpointName(value: unknown, name: string): string {
  const text = nonEmpty(value, name);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new CliError(`${name} must be at most ${MAX_NAME_BYTES} UTF-8 bytes long, got ${bytes}`);
  }
  return text;
}

/** A comma-separated list of formats, or (in a config file) an array of them. */
function formatList(value: unknown, name: string): Format[] {
  const text = Array.isArray(value)
    ? value.map((item) => stringValue(item, name)).join(',')
    : stringValue(value, name);
  let formats: Format[];
  try {
    formats = parseFormats(text);
  } catch (error) {
    throw new CliError(`${name}: ${(error as Error).message}`);
  }
  if (formats.length > MAX_STREAMS_PER_DIRECTION) {
    throw new CliError(
      `${name}: at most ${MAX_STREAMS_PER_DIRECTION} streams, got ${formats.length}`,
    );
  }
  return formats;
}

/** Repeated flags give an array; a config file may give one spec or an array. */
function specs<T>(value: unknown, name: string, parse: (text: string, name: string) => T): T[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => parse(stringValue(item, name), name));
}

function checkCount(
  entries: readonly unknown[],
  streams: readonly Format[],
  name: string,
  direction: string,
): void {
  if (entries.length > streams.length) {
    throw new CliError(
      `${name}: ${entries.length} given for ${streams.length} ${direction} stream${streams.length === 1 ? '' : 's'} (one per stream, in order)`,
    );
  }
}
