import {
  chooseCoreAudioDevice,
  listCoreAudioDevices,
  type CoreAudioDeviceOptions,
} from '@syfala/backend-coreaudio';
import { probeJack, type JackServerInfo } from '@syfala/backend-jack';
import { makeFormat, type Format } from '@syfala/proto';
import { CliError, describeError } from './cli-error.js';
import { channelList, framesValue, stringValue } from './option-values.js';

export const BACKENDS = ['virtual', 'jack', 'coreaudio'] as const;
export type Backend = (typeof BACKENDS)[number];

/** serve's and connect's JACK flags (camelCase), beside --no-auto-connect. */
export const JACK_FLAGS = ['jackServer', 'jackName', 'capturePorts', 'playbackPorts'] as const;
/** serve's and connect's CoreAudio flags. */
export const COREAUDIO_FLAGS = [
  'device',
  'inputDevice',
  'outputDevice',
  'inputChannels',
  'outputChannels',
  'period',
] as const;

/**
 * The first flag given that only another backend reads (`own` lists each backend's flags): a
 * mistake worth one sentence, not silence.
 */
export function foreignFlag<Key extends string>(
  backend: Backend,
  own: Readonly<Record<Backend, readonly Key[]>>,
  given: (key: Key) => boolean,
): { readonly key: Key; readonly backend: Backend } | undefined {
  for (const other of BACKENDS) {
    if (other === backend) continue;
    const key = own[other].find(given);
    if (key !== undefined) return { key, backend: other };
  }
  return undefined;
}

/** "inputChannels" → "--input-channels". */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The largest I/O buffer the native CoreAudio layer takes (its scratch planes' length). */
const MAX_PERIOD_FRAMES = 8192;

/**
 * CoreAudio's device options from the flags (`value` reads one, `name` says how the user wrote
 * it): --device sets both directions, --input-device and --output-device each one.
 */
export function coreAudioOptions(
  value: (key: (typeof COREAUDIO_FLAGS)[number]) => unknown,
  name: (key: (typeof COREAUDIO_FLAGS)[number]) => string,
): CoreAudioDeviceOptions {
  const text = (key: 'device' | 'inputDevice' | 'outputDevice'): string | undefined => {
    const v = value(key);
    return v === undefined ? undefined : stringValue(v, name(key));
  };
  const channels = (key: 'inputChannels' | 'outputChannels'): number[] | undefined => {
    const v = value(key);
    return v === undefined ? undefined : channelList(v, name(key));
  };
  const both = text('device');
  const inputDevice = text('inputDevice') ?? both;
  const outputDevice = text('outputDevice') ?? both;
  const inputChannels = channels('inputChannels');
  const outputChannels = channels('outputChannels');
  const period = value('period');
  return {
    ...(inputDevice !== undefined && { inputDevice }),
    ...(outputDevice !== undefined && { outputDevice }),
    ...(inputChannels !== undefined && { inputChannels }),
    ...(outputChannels !== undefined && { outputChannels }),
    ...(period !== undefined && {
      periodFrames: framesValue(period, name('period'), 1, MAX_PERIOD_FRAMES),
    }),
  };
}

/**
 * One f32 stream each way over the chosen devices' channels (all of them unless some are named),
 * at the device's rate and I/O buffer size; no stream where there is no device.
 */
export function coreAudioDefaultFormats(options: CoreAudioDeviceOptions): {
  inputs: Format[];
  outputs: Format[];
} {
  try {
    const devices = listCoreAudioDevices();
    const stream = (direction: 'input' | 'output'): Format[] => {
      const input = direction === 'input';
      const wanted = input ? options.inputDevice : options.outputDevice;
      if (
        wanted === undefined &&
        !devices.some((d) => (input ? d.defaultInput : d.defaultOutput))
      ) {
        return [];
      }
      const device = chooseCoreAudioDevice(devices, wanted, direction);
      const channels =
        (input ? options.inputChannels : options.outputChannels)?.length ??
        (input ? device.inputChannels : device.outputChannels);
      if (channels === 0) return [];
      return [
        makeFormat({
          sampleType: 'f32',
          sampleRate: device.sampleRate,
          channels,
          bufferFrames: options.periodFrames ?? device.periodFrames,
        }),
      ];
    };
    return { inputs: stream('input'), outputs: stream('output') };
  } catch (error) {
    throw new CliError(describeError(error));
  }
}

/**
 * The JACK server's rate, period and physical ports; its absence said in one sentence. The
 * client that reads them is the one the device named `clientName` then takes (probeJack's keepFor).
 */
export async function jackServerInfo(
  server: string | undefined,
  clientName: string,
): Promise<JackServerInfo> {
  try {
    return await probeJack(server, { keepFor: clientName });
  } catch (error) {
    throw new CliError(describeError(error));
  }
}
