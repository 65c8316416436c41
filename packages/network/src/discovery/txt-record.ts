import {
  DecodeError,
  MAX_STREAMS_PER_DIRECTION,
  ValueError,
  formatsEqual,
  endpointNameBytes,
  isId,
  makeFormat,
  type Format,
  type SampleType,
} from '@syfala/proto';
import type { Endpoint } from '../endpoint.js';
import { checkPort } from './options.js';

/** What a server's DNS-SD TXT record says about it (docs/DISCOVERY.md §3). */
export type EndpointAdvert = Pick<
  Endpoint,
  'id' | 'name' | 'controlPort' | 'protocolVersion' | 'formats'
>;

/** RFC 6763 §6.1: one TXT string (`key=value`) holds at most 255 bytes. */
export const MAX_TXT_STRING_BYTES = 255;

const EQUALS = 0x3d;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut at a character boundary. */
export function fitUtf8(text: string, maxBytes: number): string {
  const { read } = utf8Encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/**
 * The TXT key/value pairs for `advert`, in publishing order; every `key=value` fits in 255 bytes.
 * The name is cut to fit (at a character boundary); a stream list that does not fit keeps the
 * formats that do and ends with `+N` for the N streams left out, so readers omit the formats.
 * Throws ValueError naming the field when the advert breaks a protocol rule.
 */
export function encodeEndpointTxt(advert: EndpointAdvert): Record<string, string> {
  const { id, name, controlPort, protocolVersion, formats } = advert;
  if (!isId(id)) {
    throw new ValueError(
      'BAD_FIELD',
      `TXT id: expected a lowercase 8-4-4-4-12 hex id, got ${String(id)}`,
    );
  }
  endpointNameBytes(name, 'TXT name');
  if (!Number.isInteger(protocolVersion) || protocolVersion < 1 || protocolVersion > 0xff) {
    throw new ValueError(
      'BAD_FIELD',
      `TXT v: expected a protocol version from 1 to 255, got ${String(protocolVersion)}`,
    );
  }
  checkPort(controlPort, 'TXT ctl', 0);
  const txt: Record<string, string> = {
    v: String(protocolVersion),
    id,
    name: fitUtf8(name, MAX_TXT_STRING_BYTES - 'name='.length),
    ctl: String(controlPort),
  };
  if (formats !== undefined) {
    txt['in'] = encodeStreams(formats.inputs, 'in');
    txt['out'] = encodeStreams(formats.outputs, 'out');
  }
  return txt;
}

/**
 * Reads a TXT record given as its raw strings. Keys are case-insensitive and the first occurrence
 * of a key wins (RFC 6763 §6.4); unknown keys are ignored. `formats` is present only when both
 * stream lists are present and complete. Throws DecodeError (BAD_FIELD, TOO_LARGE) naming the key.
 */
export function decodeEndpointTxt(strings: readonly Uint8Array[]): EndpointAdvert {
  const pairs = new Map<string, Uint8Array | undefined>();
  for (const entry of strings) {
    if (entry.length > MAX_TXT_STRING_BYTES) {
      throw new DecodeError(
        'TOO_LARGE',
        `TXT: a string holds at most ${MAX_TXT_STRING_BYTES} bytes, got ${entry.length}`,
      );
    }
    if (entry.length === 0) continue;
    const equals = entry.indexOf(EQUALS);
    const key = String.fromCharCode(...entry.subarray(0, equals < 0 ? entry.length : equals));
    const lowerKey = key.toLowerCase();
    if (!pairs.has(lowerKey))
      pairs.set(lowerKey, equals < 0 ? undefined : entry.subarray(equals + 1));
  }
  const value = (key: string): string | undefined => {
    if (!pairs.has(key)) return undefined;
    const bytes = pairs.get(key);
    if (bytes === undefined) {
      throw new DecodeError(
        'BAD_FIELD',
        `TXT ${key}: expected key=value, got a key without a value`,
      );
    }
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      throw new DecodeError('BAD_FIELD', `TXT ${key}: not valid UTF-8`, { cause: error });
    }
  };
  const required = (key: string): string => {
    const text = value(key);
    if (text === undefined) throw new DecodeError('BAD_FIELD', `TXT: missing key "${key}"`);
    return text;
  };

  const version = required('v');
  if (!/^[1-9][0-9]{0,2}$/.test(version) || Number(version) > 0xff) {
    throw badValue('v', 'a protocol version from 1 to 255', version);
  }
  const id = required('id');
  if (!isId(id)) throw badValue('id', 'a lowercase 8-4-4-4-12 hex id', id);
  const name = required('name');
  const ctl = required('ctl');
  if (!/^(0|[1-9][0-9]{0,4})$/.test(ctl) || Number(ctl) > 0xffff) {
    throw badValue('ctl', 'a port from 0 to 65535', ctl);
  }
  const advert = { id, name, controlPort: Number(ctl), protocolVersion: Number(version) };
  const inputs = decodeStreams(value('in'), 'in');
  const outputs = decodeStreams(value('out'), 'out');
  return inputs?.complete === true && outputs?.complete === true
    ? { ...advert, formats: { inputs: inputs.formats, outputs: outputs.formats } }
    : advert;
}

/*
 * Stream lists (docs/DISCOVERY.md §3.2):
 *   list   = "" / item *("," item) ["," more] / more
 *   item   = [count "*"] type "/" rate "/" channels "/" frames    ; count equal formats in a row
 *   more   = "+" count                                            ; streams that did not fit
 */
const ITEM =
  /^(?:([1-9][0-9]{0,2})\*)?([a-z0-9]{2,3})\/([^/]+)\/([1-9][0-9]{0,4})\/(0|[1-9][0-9]{0,9})$/;
const RATE = /^(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-]?[0-9]+)?$/;
const MORE = /^\+([1-9][0-9]{0,2})$/;

function formatItem(format: Format): string {
  // String() of a double is its shortest round-trip form, so Number() reads back the same rate.
  return `${format.sampleType}/${String(format.sampleRate)}/${format.channels}/${format.bufferFrames}`;
}

function encodeStreams(formats: readonly Format[], key: string): string {
  if (formats.length > MAX_STREAMS_PER_DIRECTION) {
    throw new ValueError(
      'BAD_FIELD',
      `TXT ${key}: at most ${MAX_STREAMS_PER_DIRECTION} streams, got ${formats.length}`,
    );
  }
  const runs: { format: Format; count: number }[] = [];
  for (const format of formats.map((f) => makeFormat(f))) {
    const last = runs.at(-1);
    if (last !== undefined && formatsEqual(last.format, format)) last.count += 1;
    else runs.push({ format, count: 1 });
  }
  const items = runs.map(
    ({ format, count }) => (count > 1 ? `${count}*` : '') + formatItem(format),
  );
  // Items are ASCII, so string length is byte length.
  const budget = MAX_TXT_STRING_BYTES - `${key}=`.length;
  let listed = items.length;
  let listedStreams = formats.length;
  let value = items.join(',');
  while (value.length > budget) {
    listed -= 1;
    listedStreams -= runs[listed]!.count;
    value = [...items.slice(0, listed), `+${formats.length - listedStreams}`].join(',');
  }
  return value;
}

function decodeStreams(
  value: string | undefined,
  key: string,
): { formats: Format[]; complete: boolean } | undefined {
  if (value === undefined) return undefined;
  const formats: Format[] = [];
  if (value === '') return { formats, complete: true };
  const items = value.split(',');
  let omitted = 0;
  items.forEach((item, index) => {
    const more = MORE.exec(item);
    if (more !== null && index === items.length - 1) {
      omitted = Number(more[1]);
      return;
    }
    const match = ITEM.exec(item);
    if (match === null)
      throw badValue(key, '[count*]type/rate/channels/frames or a final +count', item);
    const [, count = '1', sampleType = '', rate = '', channels = '', frames = ''] = match;
    if (!RATE.test(rate)) throw badValue(key, 'a decimal sample rate', item);
    let format: Format;
    try {
      format = makeFormat({
        sampleType: sampleType as SampleType,
        sampleRate: Number(rate),
        channels: Number(channels),
        bufferFrames: Number(frames),
      });
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new DecodeError('BAD_FIELD', `TXT ${key}: ${error.message}`, { cause: error });
    }
    if (formats.length + Number(count) > MAX_STREAMS_PER_DIRECTION) throw tooMany(key);
    for (let i = 0; i < Number(count); i += 1) formats.push(format);
  });
  if (formats.length + omitted > MAX_STREAMS_PER_DIRECTION) throw tooMany(key);
  return { formats, complete: omitted === 0 };
}

function badValue(key: string, expected: string, got: string): DecodeError {
  return new DecodeError(
    'BAD_FIELD',
    `TXT ${key}: expected ${expected}, got ${JSON.stringify(got)}`,
  );
}

function tooMany(key: string): DecodeError {
  return new DecodeError('TOO_LARGE', `TXT ${key}: at most ${MAX_STREAMS_PER_DIRECTION} streams`);
}
