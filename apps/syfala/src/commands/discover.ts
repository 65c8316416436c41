import { Discovery, discoverOnce, type DiscoveryOptions, type Endpoint } from '@syfala/network';
import { CliError } from '../cli-error.js';
import { interfaceValue, timeValue } from '../option-values.js';
import { endpointEventLine, endpointTable } from '../output.js';
import { beaconAddress } from '../resolve-endpoint.js';
import { waitForSignal } from '../signals.js';

export interface DiscoverFlags {
  readonly json?: boolean;
  readonly watch?: boolean;
  readonly timeout: string | number;
  readonly interface?: string;
  readonly mdns: boolean;
  readonly beacon: boolean;
  readonly target?: string;
}

/** `syfala discover`: the endpoints found in --timeout ms, or a live feed with --watch. */
export async function discoverCommand(flags: DiscoverFlags): Promise<number> {
  const options = discoveryOptions(flags);
  if (flags.watch === true) {
    await watch(options, flags.json === true);
    return 0;
  }
  const timeoutMs = timeValue(flags.timeout, '--timeout', 'ms');
  const endpoints = await discoverOnce({ ...options, timeoutMs });
  process.stdout.write(`${render(endpoints, flags.json === true, timeoutMs)}\n`);
  return 0;
}

function discoveryOptions(flags: DiscoverFlags): DiscoveryOptions {
  if (!flags.beacon && !flags.mdns) {
    throw new CliError('--no-beacon and --no-mdns leave nothing to discover with');
  }
  if (!flags.beacon && flags.target !== undefined) {
    throw new CliError('--target sends beacons, so it cannot go with --no-beacon');
  }
  const target = flags.target === undefined ? undefined : beaconTarget(flags.target);
  return {
    beacon: flags.beacon ? (target ?? {}) : false,
    mdns: flags.mdns ? {} : false,
    ...(flags.interface !== undefined && {
      interface: interfaceValue(flags.interface, '--interface'),
    }),
  };
}

function beaconTarget(text: string): { address: string; port: number } {
  const { host, port } = beaconAddress(text, '--target');
  return { address: host, port };
}

function render(endpoints: readonly Endpoint[], json: boolean, timeoutMs: number): string {
  if (json) return JSON.stringify(endpoints);
  if (endpoints.length === 0) return `no Syfala endpoint answered within ${timeoutMs} ms`;
  return endpointTable(endpoints);
}

/** Prints every added, updated and removed endpoint until Ctrl-C (or SIGTERM). */
async function watch(options: DiscoveryOptions, json: boolean): Promise<void> {
  const discovery = new Discovery(options);
  const stop = waitForSignal(['SIGINT', 'SIGTERM']);
  try {
    await new Promise<void>((resolve, reject) => {
      const subscription = discovery.events$.subscribe({
        next: (event) =>
          process.stdout.write(`${json ? JSON.stringify(event) : endpointEventLine(event)}\n`),
        error: reject,
      });
      void stop.received.then(() => {
        subscription.unsubscribe();
        resolve();
      });
    });
  } finally {
    stop.dispose();
    await discovery.close();
  }
}
