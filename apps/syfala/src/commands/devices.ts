import { listCoreAudioDevices, type CoreAudioDevice } from '@syfala/backend-coreaudio';
import { probeJack, type JackServerInfo } from '@syfala/backend-jack';
import { CliError, describeError } from '../cli-error.js';
import { BACKENDS, type Backend } from '../backend-flags.js';

export interface DevicesFlags {
  readonly backend?: Backend;
  readonly jackServer?: string;
  readonly json?: boolean;
}

/** What one backend offers here, or why it can't be used. */
type Listing =
  | { readonly backend: 'virtual'; readonly available: true }
  | { readonly backend: 'jack'; readonly available: true; readonly server: JackServerInfo }
  | { readonly backend: 'coreaudio'; readonly available: true; readonly devices: CoreAudioDevice[] }
  | Unavailable;

interface Unavailable {
  readonly backend: Backend;
  readonly available: false;
  readonly reason: string;
}

/**
 * `syfala devices`: the sound cards `serve` and `connect` can use, per backend. Without
 * --backend, every backend is listed, and one that can't be used here says why (exit 0); with
 * it, that backend only, and its failure is the command's (exit 1).
 */
export async function devicesCommand(flags: DevicesFlags): Promise<number> {
  const chosen = flags.backend === undefined ? BACKENDS : [flags.backend];
  const listings = await Promise.all(chosen.map((backend) => listing(backend, flags.jackServer)));
  const failed = listings.find((l): l is Unavailable => !l.available);
  if (flags.backend !== undefined && failed !== undefined) {
    throw new CliError(failed.reason);
  }
  process.stdout.write(
    flags.json === true
      ? `${JSON.stringify(listings)}\n`
      : `${listings.map(describeListing).join('\n')}\n`,
  );
  return 0;
}

async function listing(backend: Backend, jackServer: string | undefined): Promise<Listing> {
  try {
    switch (backend) {
      case 'virtual':
        return { backend, available: true };
      case 'jack':
        return { backend, available: true, server: await probeJack(jackServer) };
      case 'coreaudio':
        return { backend, available: true, devices: listCoreAudioDevices() };
    }
  } catch (error) {
    return { backend, available: false, reason: describeError(error) };
  }
}

function describeListing(l: Listing): string {
  if (!l.available) return `${l.backend}: not available: ${l.reason}`;
  switch (l.backend) {
    case 'virtual':
      return (
        'virtual: the built-in virtual sound card, any format (sources: tone, noise, silence, ' +
        'wav; sinks: null, wav)'
      );
    case 'jack': {
      const { sampleRate, periodFrames, physicalCapture, physicalPlayback } = l.server;
      const ports = (list: readonly string[]): string => (list.length ? list.join(', ') : 'none');
      return [
        `jack: server at ${sampleRate} Hz, ${periodFrames}-frame periods`,
        `  capture:  ${ports(physicalCapture)}`,
        `  playback: ${ports(physicalPlayback)}`,
      ].join('\n');
    }
    case 'coreaudio':
      return [
        `coreaudio: ${l.devices.length} device(s)`,
        ...l.devices.map(
          (d) =>
            `  ${d.name} (UID ${d.uid}): ${d.inputChannels} in, ${d.outputChannels} out, ` +
            `${d.sampleRate} Hz, ${d.periodFrames}-frame buffer` +
            (d.defaultInput ? ', default input' : '') +
            (d.defaultOutput ? ', default output' : ''),
        ),
      ].join('\n');
  }
}
