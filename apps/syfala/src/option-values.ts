import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isIP, isIPv4 } from 'node:net';
import type { VirtualSink, VirtualSource } from '@syfala/audio';
import { checkLocalInterface } from '@syfala/network';
import {
  AUDIO_AUTH_TAG_BYTES,
  describeValue,
  MAX_DATAGRAM_BYTES,
  mustBe,
  SEALED_AUDIO_HEADER_BYTES,
} from '@syfala/proto';
import { CliError } from './cli-error.js';

/** Shortest pre-shared key the network package accepts, in bytes (CONTROL.md §5). */
const MIN_PSK_BYTES = 16;

/**
 * Checkers for option values, from a flag (a string) or a config file (any JSON value). `name`
 * is how the user wrote the option ("--udp-port", "udpPort in serve.json"); errors quote it.
 */
export function oneOf<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new CliError(mustBe(name, `one of ${choices.join(', ')}`, value));
  }
  return value as T;
}

/** What a refusal says an option takes: `what`, after the other value it takes (`or`) if any. */
function orElse(or: string | undefined, what: string): string {
  return or === undefined ? what : `${or} or ${what}`;
}

/** An integer from `min` to `max`; `or` names what else the option takes, for the refusal. */
export function integerValue(
  value: unknown,
  name: string,
  min: number,
  max: number,
  or?: string,
): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new CliError(mustBe(name, orElse(or, `an integer from ${min} to ${max}`), value));
  }
  return n;
}

/** The smallest datagram budget: a sealed datagram with one byte of audio. */
const MIN_DATAGRAM_BUDGET_BYTES = SEALED_AUDIO_HEADER_BYTES + AUDIO_AUTH_TAG_BYTES + 1;

/** --datagram-budget: auto, or a whole datagram's bytes, headers included. */
export function datagramBudgetValue(value: unknown, name: string): number | 'auto' {
  return value === 'auto'
    ? value
    : integerValue(value, name, MIN_DATAGRAM_BUDGET_BYTES, MAX_DATAGRAM_BYTES, 'auto');
}

/** A finite number from `min` to `max` (decimals and a sign allowed). */
export function numberValue(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new CliError(mustBe(name, `a number from ${min} to ${max}`, value));
  }
  return n;
}

/** A port number; 0 asks the system for a free one. */
export function portValue(value: unknown, name: string): number {
  return integerValue(value, name, 0, 0xffff);
}

/** A number and an optional unit word: "1500ms", "2 s", "64fr", "480". */
const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

const MS_PER_TIME_UNIT = { ms: 1, s: 1000, min: 60_000 } as const;
type TimeUnit = keyof typeof MS_PER_TIME_UNIT;

function quantity(value: unknown): { n: number; unit: string } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { n: value, unit: '' } : undefined;
  const match = typeof value === 'string' ? QUANTITY.exec(value) : null;
  return match === null ? undefined : { n: Number(match[1]), unit: match[2]!.toLowerCase() };
}

/**
 * A positive time in milliseconds, written with a unit ("1500ms", "2s", "1min") or as a plain
 * number in `plain`, the unit the option always took, so that scripts written before units keep
 * their meaning.
 */
export function timeValue(value: unknown, name: string, plain: TimeUnit): number {
  const q = quantity(value);
  const unit = q === undefined ? undefined : q.unit === '' ? plain : q.unit;
  if (q === undefined || q.n <= 0 || unit === undefined || !(unit in MS_PER_TIME_UNIT)) {
    throw new CliError(
      mustBe(
        name,
        `a positive time such as 1500ms, 2s or 1min (a plain number is ${plain})`,
        value,
      ),
    );
  }
  return q.n * MS_PER_TIME_UNIT[unit as TimeUnit];
}

/**
 * A whole number of frames from `min` to `max`: "64fr", "64 frames" or a plain 64. `or` names
 * what else the option takes, for the refusal ("auto").
 */
export function framesValue(
  value: unknown,
  name: string,
  min: number,
  max: number,
  or?: string,
): number {
  const q = quantity(value);
  if (
    q === undefined ||
    !['', 'fr', 'frames'].includes(q.unit) ||
    !Number.isInteger(q.n) ||
    q.n < min ||
    q.n > max
  ) {
    const frames = `a whole number of frames from ${min} to ${max} (64 or 64fr)`;
    throw new CliError(mustBe(name, orElse(or, frames), value));
  }
  return q.n;
}

export function stringValue(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new CliError(mustBe(name, 'a string', value));
  return value;
}

export function booleanValue(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new CliError(mustBe(name, 'true or false', value));
  return value;
}

export function ipv4Value(value: unknown, name: string): string {
  const text = stringValue(value, name);
  if (!isIPv4(text)) throw new CliError(mustBe(name, 'an IPv4 address', value));
  return text;
}

/**
 * `--interface`: the IPv4 address of one of this host's interfaces. Any other would be ignored
 * (a unicast lookup, a server bound to one address) or fail far from its cause.
 */
export function interfaceValue(value: unknown, name: string): string {
  const address = ipv4Value(value, name);
  checkLocalInterface(address, name);
  return address;
}

/**
 * `[ADDRESS:]PORT`, an IPv6 address in brackets ([::1]:9464): where an HTTP listener binds.
 * PORT alone binds loopback; a config file may give the port as a number.
 */
export function listenValue(value: unknown, name: string): { address: string; port: number } {
  const text = typeof value === 'number' ? String(value) : stringValue(value, name);
  const parts = /^\[([^\]]*)\]:([^:]*)$/.exec(text) ?? /^(?:([^:]*):)?([^:]*)$/.exec(text);
  if (parts === null) {
    throw new CliError(mustBe(name, '[ADDRESS:]PORT (9464, 127.0.0.1:9464 or [::1]:9464)', value));
  }
  const [, address = '127.0.0.1', port = ''] = parts;
  if (isIP(address) === 0) {
    throw new CliError(
      `${name}: ${describeValue(address)} is not an IP address (in ${describeValue(value)})`,
    );
  }
  return { address, port: integerValue(port, `${name}'s port`, 0, 0xffff) };
}

/** Checked here so a short key fails at once, not after discovery and a TCP handshake. */
export function pskValue(value: unknown, name: string): string {
  const key = stringValue(value, name);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < MIN_PSK_BYTES) {
    throw new CliError(
      `${name} must be at least ${MIN_PSK_BYTES} bytes long, got ${bytes} (try: openssl rand -hex 16)`,
    );
  }
  return key;
}

/** `tone[:HZ[:DBFS]]`, `noise[:DBFS]`, `silence` or `wav:PATH` (a WAV file, looped). */
export function sourceSpec(text: string, name: string): VirtualSource {
  const [kind = '', ...rest] = text.split(':');
  const numbers = (max: number): number[] => {
    if (rest.length > max) throw badSpec(text, name, 'source');
    return rest.map((part) => {
      const n = part.trim() === '' ? Number.NaN : Number(part);
      if (!Number.isFinite(n)) throw badSpec(text, name, 'source');
      return n;
    });
  };
  switch (kind) {
    case 'tone': {
      const [frequencyHz, levelDbfs] = numbers(2);
      return {
        kind,
        ...(frequencyHz !== undefined && { frequencyHz }),
        ...(levelDbfs !== undefined && { levelDbfs }),
      };
    }
    case 'noise': {
      const [levelDbfs] = numbers(1);
      return { kind, ...(levelDbfs !== undefined && { levelDbfs }) };
    }
    case 'silence':
      numbers(0);
      return { kind };
    case 'wav':
      return { kind, path: wavPath(text, name, 'source') };
    default:
      throw badSpec(text, name, 'source');
  }
}

/** `null` or `wav:PATH` (a recording). */
export function sinkSpec(text: string, name: string): VirtualSink {
  if (text === 'null') return { kind: 'null' };
  if (text.startsWith('wav:')) return { kind: 'wav', path: wavPath(text, name, 'sink') };
  throw badSpec(text, name, 'sink');
}

function wavPath(text: string, name: string, what: 'source' | 'sink'): string {
  const path = text.slice('wav:'.length);
  if (path === '') throw badSpec(text, name, what);
  return path;
}

function badSpec(text: string, name: string, what: 'source' | 'sink'): CliError {
  const syntax =
    what === 'source' ? 'tone[:HZ[:DBFS]], noise[:DBFS], silence or wav:PATH' : 'null or wav:PATH';
  return new CliError(`${name} "${text}" is not a ${what}: expected ${syntax}`);
}

/**
 * Checks up front that a WAV file can be read: the device opens it only after the session is
 * set up, and a failure then is reported far from its cause.
 */
export async function checkReadable(path: string, name: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new CliError(`${name}: cannot read ${path} (no such file, or not readable)`);
  }
}

/** Checks up front that a recording can be created: its folder exists and is writable. */
export async function checkWritable(path: string, name: string): Promise<void> {
  const folder = dirname(resolve(path));
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new CliError(`${name}: cannot write ${path} (${folder} is missing or not writable)`);
  }
}

/** FILE.wav for stream 1 (index 0), then FILE-2.wav, FILE-3.wav … */
export function numberedPath(path: string, stream: number): string {
  if (stream === 0) return path;
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}-${stream + 1}${extension}`;
}

/** Longest client name `connect --client-name` takes, in UTF-8 bytes: it shows in logs and metrics. */
export const MAX_CLIENT_NAME_BYTES = 255;

/** The name a client gives itself in its Hello: printable text, 1 to MAX_CLIENT_NAME_BYTES. */
export function clientNameValue(value: unknown, name: string): string {
  const text = stringValue(value, name);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (text.trim() === '' || bytes > MAX_CLIENT_NAME_BYTES || /\p{Cc}/u.test(text)) {
    throw new CliError(
      mustBe(name, `1 to ${MAX_CLIENT_NAME_BYTES} UTF-8 bytes of printable text`, value),
    );
  }
  return text;
}

/** JACK port names, comma-separated (or a JSON array in a config file). */
export function portList(value: unknown, name: string): string[] {
  const items = Array.isArray(value)
    ? value.map((item) => stringValue(item, name))
    : stringValue(value, name).split(',');
  const ports = items.map((item) => item.trim());
  if (ports.some((port) => !port.includes(':'))) {
    throw new CliError(`${name} must list full JACK port names (client:port), comma-separated`);
  }
  return ports;
}

/** "1,2" or [1, 2]: sound-card channels, from 1. */
export function channelList(value: unknown, name: string): number[] {
  const items = Array.isArray(value) ? (value as unknown[]) : stringValue(value, name).split(',');
  if (items.length === 0) throw new CliError(`${name} must list channels from 1, comma-separated`);
  return items.map((item) => integerValue(item, name, 1, 1024));
}
