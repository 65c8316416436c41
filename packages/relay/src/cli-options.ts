import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseEndpoint } from './addresses.js';
import { RelayError } from './errors.js';
import type { GilbertElliott, Impairments, Jitter, Reorder } from './options.js';
import type { RelayOptions } from './relay.js';

export const USAGE = `usage: syfala-relay --target ADDRESS:PORT [options]

A UDP relay that impairs what passes through it, both ways, and prints a JSON report of what it
did on SIGINT or SIGTERM. Loopback only unless --allow-remote.

  --target ADDRESS:PORT     where datagrams from sources go (required)
  --listen ADDRESS:PORT     where to listen (default 127.0.0.1:0, or [::1]:0 for an IPv6 target)
  --allow-remote            accept addresses that are not loopback
  --seed N                  uint32 seed (default: a random one, printed)
  --direction WHICH         both (default), to-target or to-source: where the impairments apply
  --loss P                  random loss, e.g. 1% or 0.01
  --burst-loss P,R[,H[,K]]  Gilbert-Elliott: P good->bad, R bad->good, loss in bad H (default
                            100%), loss in good K (default 0)
  --duplicate P             send twice
  --reorder P               hold back by --reorder-positions N (default 1) or --reorder-delay MS
  --delay MS                base delay, e.g. 5ms
  --jitter MS               uniform +/- around the base delay (clamped at 0)
  --spike P,MS              with probability P, MS more
  --keep-order              jitter never reorders (a FIFO); default: it does, as netem
  --truncate P              cut to a random shorter length
  --corrupt P               flip 1 to --corrupt-bits N (default 1) random bits
  --audio-only              datagrams that are not audio (AUDI, AUDE) pass unimpaired
  --help                    this text
`;

/** Flags that only qualify another one. */
const DEPENDENT_FLAGS = [
  ['reorder-positions', 'reorder'],
  ['reorder-delay', 'reorder'],
  ['corrupt-bits', 'corrupt'],
] as const;

export type CliRequest = { help: true } | { help: false; options: RelayOptions };

const OPTIONS = {
  target: { type: 'string' },
  listen: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  seed: { type: 'string' },
  direction: { type: 'string' },
  loss: { type: 'string' },
  'burst-loss': { type: 'string' },
  duplicate: { type: 'string' },
  reorder: { type: 'string' },
  'reorder-positions': { type: 'string' },
  'reorder-delay': { type: 'string' },
  delay: { type: 'string' },
  jitter: { type: 'string' },
  spike: { type: 'string' },
  'keep-order': { type: 'boolean' },
  truncate: { type: 'string' },
  corrupt: { type: 'string' },
  'corrupt-bits': { type: 'string' },
  'audio-only': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** Parses the flags; unknown ones throw Node's ERR_PARSE_ARGS_* errors (usage errors). */
function readFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], strict: true, allowPositionals: false, options: OPTIONS })
    .values;
}

type Flags = ReturnType<typeof readFlags>;

/** Reads the command line (arguments after the script); throws RelayError on a bad value. */
export function parseRelayArgs(args: readonly string[]): CliRequest {
  const flags = readFlags(args);
  if (flags.help === true) return { help: true };
  if (flags.target === undefined) throw new RelayError('BAD_OPTION', '--target is required');
  for (const [flag, needs] of DEPENDENT_FLAGS) {
    if (flags[flag] !== undefined && flags[needs] === undefined) {
      throw new RelayError('BAD_OPTION', `--${flag} needs --${needs}`);
    }
  }
  const direction = flags.direction ?? 'both';
  if (direction !== 'both' && direction !== 'to-target' && direction !== 'to-source') {
    throw new RelayError(
      'BAD_OPTION',
      `--direction: both, to-target or to-source, got "${direction}"`,
    );
  }
  const impairments = impairmentsFrom(flags);
  return {
    help: false,
    options: {
      target: parseEndpoint(flags.target, 'target'),
      ...(flags.listen === undefined ? {} : { listen: parseEndpoint(flags.listen, 'listen') }),
      seed: flags.seed === undefined ? randomInt(2 ** 32) : integer(flags.seed, '--seed'),
      allowRemote: flags['allow-remote'] === true,
      impairments: {
        ...(direction === 'to-source' ? {} : { toTarget: impairments }),
        ...(direction === 'to-target' ? {} : { toSource: impairments }),
      },
    },
  };
}

function impairmentsFrom(flags: Flags): Impairments {
  const { loss, duplicate, truncate, corrupt } = flags;
  const burstLoss = flags['burst-loss'];
  const reorder = reorderFrom(flags);
  const jitter = jitterFrom(flags);
  return {
    ...(loss === undefined ? {} : { loss: probability(loss, '--loss') }),
    ...(burstLoss === undefined ? {} : { burstLoss: gilbertElliott(burstLoss) }),
    ...(duplicate === undefined ? {} : { duplicate: probability(duplicate, '--duplicate') }),
    ...(reorder === undefined ? {} : { reorder }),
    ...(jitter === undefined ? {} : { jitter }),
    ...(truncate === undefined ? {} : { truncate: probability(truncate, '--truncate') }),
    ...(corrupt === undefined
      ? {}
      : {
          corrupt: {
            probability: probability(corrupt, '--corrupt'),
            maxBits: integer(flags['corrupt-bits'] ?? '1', '--corrupt-bits'),
          },
        }),
    ...(flags['audio-only'] === true ? { audioOnly: true } : {}),
  };
}

/** `P,R[,H[,K]]`, netem's order for `loss gemodel`. */
function gilbertElliott(text: string): GilbertElliott {
  const [p, r, h, k] = list(text, '--burst-loss', 2, 4).map((item) =>
    probability(item, '--burst-loss'),
  );
  return {
    goodToBad: p!,
    badToGood: r!,
    ...(h === undefined ? {} : { lossInBad: h }),
    ...(k === undefined ? {} : { lossInGood: k }),
  };
}

function reorderFrom(flags: Flags): Reorder | undefined {
  if (flags.reorder === undefined) return undefined;
  const probabilityValue = probability(flags.reorder, '--reorder');
  const byDelay = flags['reorder-delay'];
  const byPositions = flags['reorder-positions'];
  if (byDelay !== undefined && byPositions !== undefined) {
    throw new RelayError(
      'BAD_OPTION',
      '--reorder-positions and --reorder-delay exclude each other',
    );
  }
  return byDelay === undefined
    ? {
        probability: probabilityValue,
        positions: integer(byPositions ?? '1', '--reorder-positions'),
      }
    : { probability: probabilityValue, delayMs: milliseconds(byDelay, '--reorder-delay') };
}

function jitterFrom(flags: Flags): Jitter | undefined {
  const { delay, jitter, spike } = flags;
  const keepOrder = flags['keep-order'] === true;
  if (delay === undefined && jitter === undefined && spike === undefined) {
    if (keepOrder) {
      throw new RelayError('BAD_OPTION', '--keep-order needs --delay, --jitter or --spike');
    }
    return undefined;
  }
  const [spikeP, spikeMs] = spike === undefined ? [] : list(spike, '--spike', 2, 2);
  return {
    ...(delay === undefined ? {} : { baseMs: milliseconds(delay, '--delay') }),
    ...(jitter === undefined ? {} : { uniformMs: milliseconds(jitter, '--jitter') }),
    ...(spikeP === undefined ? {} : { spikeProbability: probability(spikeP, '--spike') }),
    ...(spikeMs === undefined ? {} : { spikeMs: milliseconds(spikeMs, '--spike') }),
    keepOrder,
  };
}

/** `1%`, `0.5%` or `0.01`; the range is checked with the other options. */
function probability(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  if (match === null) {
    throw new RelayError('BAD_OPTION', `${flag}: a probability such as 1% or 0.01, got "${text}"`);
  }
  return match[2] === '%' ? Number(match[1]) / 100 : Number(match[1]);
}

/** `5ms`, `1.5ms`, `2s`, `250us`, or a bare number of milliseconds. */
function milliseconds(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|us)?$/.exec(text);
  if (match === null) {
    throw new RelayError(
      'BAD_OPTION',
      `${flag}: a duration such as 5ms, 2s or 250us, got "${text}"`,
    );
  }
  const scale = match[2] === 's' ? 1000 : match[2] === 'us' ? 0.001 : 1;
  return Number(match[1]) * scale;
}

function integer(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new RelayError('BAD_OPTION', `${flag}: an integer, got "${text}"`);
  return Number(text);
}

function list(text: string, flag: string, min: number, max: number): string[] {
  const items = text.split(',');
  if (items.length < min || items.length > max) {
    throw new RelayError(
      'BAD_OPTION',
      `${flag}: ${min} to ${max} comma-separated values, got "${text}"`,
    );
  }
  return items;
}
