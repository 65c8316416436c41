/**
 * Checks the codec against docs/PROTOCOL.md itself: this file reads the spec's layout, tag and enum
 * tables and lays out every test vector from them alone, without the codec, then compares bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AUDIO_HEADER_BYTES,
  FORMAT_RECORD_BYTES,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION,
  SAMPLE_TYPE_INFO,
  SEALED_AUDIO_HEADER_BYTES,
  TAGS,
  type MessageType,
} from '../../src/index.js';
import { toHex, vectors } from './vector-file.js';

interface Row {
  offset: string;
  size: string;
  type: string;
  field: string;
}

const spec = readFileSync(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The body rows of the markdown table that follows `<!-- marker -->`. */
function tableAfter(marker: string): string[][] {
  const start = spec.indexOf(`<!-- ${marker} -->`);
  if (start < 0) throw new Error(`PROTOCOL.md has no <!-- ${marker} --> table`);
  const lines = spec.slice(start).split('\n').slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')));
  const rows = table.slice(
    0,
    table.findIndex((l) => !l.startsWith('|')),
  );
  return rows.slice(2).map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replaceAll('`', '')),
  );
}

function layout(name: string): Row[] {
  return tableAfter(`layout: ${name}`).map(([offset, size, type, field]) => ({
    offset: offset!,
    size: size!,
    type: type!,
    field: field!,
  }));
}

const enumCodes = (name: string): Map<string, number> =>
  new Map(tableAfter(`enum: ${name}`).map(([code, value]) => [value!, Number(code)]));

const tagOfType = new Map(tableAfter('tags').map(([tag, type]) => [type!, tag!]));

type Json = Record<string, unknown>;

function path(message: Json, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v as Json)[key], message);
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Byte fields the vectors hold as hex strings. */
const HEX_FIELDS = new Set(['payload', 'sealed']);

/**
 * Resolves a field cell: `name = constant`, `len(path)` (less a constant: `len(path) - 16`),
 * `count(path)` or a plain path.
 */
function fieldValue(field: string, message: Json, type: string): unknown {
  const constant = /^(\w+) = (\w+)$/.exec(field);
  if (constant) return type === 'bytes' ? constant[2] : Number(constant[2]);
  const fn = /^(len|count)\((.+)\)(?: - (\d+))?$/.exec(field);
  if (fn) {
    const value = path(message, fn[2]!);
    if (fn[1] === 'count') return (value as unknown[]).length;
    const length =
      typeof value === 'string' && !HEX_FIELDS.has(fn[2]!)
        ? utf8(value).length
        : (value as string).length / 2;
    return length - Number(fn[3] ?? 0);
  }
  return path(message, field);
}

function scalar(type: string, value: unknown): Buffer {
  const b = Buffer.alloc({ u8: 1, u16: 2, u32: 4, u64: 8, f64: 8 }[type] ?? 0);
  if (type === 'u8') b.writeUInt8(value as number);
  else if (type === 'u16') b.writeUInt16LE(value as number);
  else if (type === 'u32') b.writeUInt32LE(value as number);
  else if (type === 'u64') b.writeBigUInt64LE(BigInt(value as number));
  else if (type === 'f64') b.writeDoubleLE(value as number);
  else throw new Error(`PROTOCOL.md uses an unknown field type ${type}`);
  return b;
}

/** Lays out `message` by the spec table `name`, checking the table's own offsets and sizes. */
function layOut(name: string, message: Json, tag: string): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const row of layout(name)) {
    const value = row.type === 'preamble' ? undefined : fieldValue(row.field, message, row.type);
    let bytes: Buffer;
    if (row.type === 'preamble') bytes = layOut('preamble', message, tag);
    else if (row.type === 'ascii') bytes = Buffer.from(tag, 'ascii');
    else if (row.type === 'bytes') bytes = Buffer.from(value as string, 'hex');
    else if (row.type === 'uuid') bytes = Buffer.from((value as string).replaceAll('-', ''), 'hex');
    else if (row.type === 'utf8') bytes = utf8(value as string);
    else if (row.type === 'Format[]')
      bytes = Buffer.concat((value as Json[]).map((f) => layOut('Format', f, tag)));
    else if (row.type.startsWith('enum ')) {
      const code = enumCodes(row.type.slice(5)).get(value as string);
      if (code === undefined) throw new Error(`${name}: ${String(value)} not in ${row.type}`);
      bytes = scalar('u8', code);
    } else bytes = scalar(row.type, value);
    if (/^\d+$/.test(row.offset))
      expect(Number(row.offset), `${name} ${row.field} offset`).toBe(at);
    if (/^\d+$/.test(row.size))
      expect(bytes.length, `${name} ${row.field} size`).toBe(Number(row.size));
    parts.push(bytes);
    at += bytes.length;
  }
  return Buffer.concat(parts);
}

describe('docs/PROTOCOL.md agrees with the code', () => {
  it.each(vectors.valid)('lays out "$name" exactly as the vector', (vector) => {
    const tag = tagOfType.get(vector.message.type as string)!;
    expect(toHex(layOut(tag, vector.message, tag))).toBe(vector.hex);
  });

  it('lists the same tags and directions as the codec', () => {
    const rows = tableAfter('tags');
    expect(rows.map(([tag, type, sentBy]) => [type, tag, sentBy!.split(', ')])).toEqual(
      (Object.keys(TAGS) as MessageType[]).map((type) => [
        type,
        TAGS[type].tag,
        [...TAGS[type].sentBy],
      ]),
    );
  });

  it('gives the same sample type codes and sizes as the format model', () => {
    const rows = tableAfter('enum: SampleType');
    expect(rows.map(([code, type, bytes]) => [type, Number(code), Number(bytes)])).toEqual(
      Object.entries(SAMPLE_TYPE_INFO).map(([type, info]) => [type, info.code, info.bytes]),
    );
  });

  it('gives the same sizes and version as the constants', () => {
    const total = (name: string): number =>
      layout(name).reduce((sum, row) => sum + (/^\d+$/.test(row.size) ? Number(row.size) : 0), 0);
    expect(total('preamble')).toBe(PREAMBLE_BYTES);
    expect(total('AUDI')).toBe(AUDIO_HEADER_BYTES);
    expect(total('AUDE')).toBe(SEALED_AUDIO_HEADER_BYTES);
    expect(total('Format')).toBe(FORMAT_RECORD_BYTES);
    expect(layout('preamble')[1]!.field).toBe(`version = ${PROTOCOL_VERSION}`);
  });
});
