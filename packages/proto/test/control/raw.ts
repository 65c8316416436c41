import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { concat } from '../../scripts/fuzz/mutate.js';

export { concat };

// The schema parsed independently of src/control, to build frames the encoder would refuse.
const root = protobuf.parse(
  readFileSync(new URL('../../control.proto', import.meta.url), 'utf8'),
).root;
const ControlFrame = root.lookupType('syfala.control.v1.ControlFrame');

/** A ControlFrame protobuf from a plain object, with no validation (camelCase field names). */
export function rawFrame(frame: Record<string, unknown>): Uint8Array {
  return ControlFrame.encode(frame).finish();
}

/** The numeric value of `name` in the schema enum `enumName`. */
export function enumValue(enumName: string, name: string): number {
  const value = root.lookupEnum(`syfala.control.v1.${enumName}`).values[name];
  if (value === undefined) throw new Error(`no ${enumName}.${name}`);
  return value;
}

/** A varint-delimited frame around `body`, whatever it holds, announcing `length` bytes. */
export function framed(body: Uint8Array, length = body.length): Uint8Array {
  return concat(protobuf.Writer.create().uint32(length).finish(), body);
}
