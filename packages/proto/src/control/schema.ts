import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Root, Type } from 'protobufjs';
import { SyfalaError } from '../errors.js';

// control.proto is the single source of truth (the native engine has no control plane; the
// protobuf interop test compiles this same file with protoc for Google's C++ reader, see
// tools/protobuf/build.sh), so it is parsed at load time rather than copied into a generated
// module that could drift from it. It sits
// at the package root, two levels above both src/control/ and dist/control/, so this URL resolves
// the same under vitest and after tsc; package.json "files" ships it.
const SCHEMA_URL = new URL('../../control.proto', import.meta.url);
const PACKAGE = 'syfala.control.v1';

/** The schema bundled with this package could not be read or does not match this code. */
export type ControlSchemaErrorCode = 'SCHEMA_NOT_FOUND' | 'BAD_SCHEMA';

function loadRoot(): Root {
  let text: string;
  try {
    text = readFileSync(SCHEMA_URL, 'utf8');
  } catch (error) {
    throw new SyfalaError<ControlSchemaErrorCode>(
      'SCHEMA_NOT_FOUND',
      `control schema: cannot read ${fileURLToPath(SCHEMA_URL)}; it ships in @syfala/proto's package root (package.json "files")`,
      { cause: error },
    );
  }
  try {
    const { root } = protobuf.parse(text, { keepCase: false });
    root.resolveAll();
    return root;
  } catch (error) {
    throw new SyfalaError<ControlSchemaErrorCode>(
      'BAD_SCHEMA',
      `control schema: ${fileURLToPath(SCHEMA_URL)} does not parse: ${String(error)}`,
      { cause: error },
    );
  }
}

const root = loadRoot();

export function schemaMismatch(detail: string): SyfalaError<ControlSchemaErrorCode> {
  return new SyfalaError('BAD_SCHEMA', `control schema: ${detail}`);
}

/** The message type `name` of package syfala.control.v1. */
export function controlType(name: string): Type {
  return root.lookupType(`${PACKAGE}.${name}`);
}

/** Maps a TypeScript literal union onto a schema enum, in both directions. */
export interface EnumCodec<T extends string> {
  readonly literals: readonly T[];
  /** The wire value of `value`, or undefined when it is none of the literals. */
  toWire(value: unknown): number | undefined;
  /** The literal for `code`, or undefined for 0 (unspecified) and unknown codes. */
  fromWire(code: number): T | undefined;
}

/**
 * Pairs literals with enum values by name ('protocol-error' ↔ DISCONNECT_REASON_PROTOCOL_ERROR),
 * so wire numbers live only in the schema. Throws at load when the two disagree.
 */
export function enumCodec<T extends string>(
  enumName: string,
  literals: readonly T[],
): EnumCodec<T> {
  const values = root.lookupEnum(`${PACKAGE}.${enumName}`).values;
  const prefix = `${enumName.replace(/(?<!^)[A-Z]/g, '_$&').toUpperCase()}_`;
  if (values[`${prefix}UNSPECIFIED`] !== 0) {
    throw schemaMismatch(`enum ${enumName} lacks ${prefix}UNSPECIFIED = 0`);
  }
  const toWire = new Map<unknown, number>();
  const fromWire = new Map<number, T>();
  for (const literal of literals) {
    const name = `${prefix}${literal.toUpperCase().replaceAll('-', '_')}`;
    const code = values[name];
    if (code === undefined || code === 0) {
      throw schemaMismatch(`enum ${enumName} has no value ${name} for '${literal}'`);
    }
    toWire.set(literal, code);
    fromWire.set(code, literal);
  }
  if (Object.keys(values).length !== literals.length + 1) {
    throw schemaMismatch(`enum ${enumName} has values this code does not know`);
  }
  return {
    literals,
    toWire: (value) => toWire.get(value),
    fromWire: (code) => fromWire.get(code),
  };
}
