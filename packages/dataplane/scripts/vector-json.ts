/**
 * JSON for the vector files, one record per line: a plain array, or an object whose members are
 * plain values and plain arrays, is written on one line; anything deeper is broken up. The files
 * stay small and a changed vector shows up as a changed line.
 */
/** Bytes as the vector files write them: lowercase hex, no separators. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

type Plain = null | boolean | number | string;
type Json = Plain | Json[] | { [key: string]: Json };

const isPlain = (value: Json): value is Plain => value === null || typeof value !== 'object';
const isPlainArray = (value: Json): boolean => Array.isArray(value) && value.every(isPlain);

function fitsOneLine(value: Json): boolean {
  if (isPlain(value)) return true;
  if (Array.isArray(value)) return value.every(isPlain);
  return Object.values(value).every((member) => isPlain(member) || isPlainArray(member));
}

function oneLine(value: Json): string {
  if (isPlain(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`);
  return members.length === 0 ? '{}' : `{ ${members.join(', ')} }`;
}

function write(value: Json, indent: string): string {
  if (isPlain(value) || fitsOneLine(value)) return oneLine(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + write(v, inner)).join(',\n')}\n${indent}]`;
  }
  const members = Object.entries(value).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/** The text of a vector file holding `value` (plain JSON data), with a final newline. */
export function vectorFileText(value: unknown): string {
  return write(value as Json, '') + '\n';
}
