import { readFileSync } from 'node:fs';
import type { Message, Role } from '../../src/index.js';

/** packages/proto/vectors/wire.json, shared with the C++ tests. */
export interface WireVectors {
  protocolVersion: number;
  valid: { name: string; sentBy: Role[]; message: Record<string, unknown>; hex: string }[];
  invalid: { name: string; sentBy: Role; hex: string; code: string }[];
}

export const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/wire.json', import.meta.url), 'utf8'),
) as WireVectors;

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A vector's JSON message as the codec's typed message (audio bytes are hex in JSON). */
export function messageOf(json: Record<string, unknown>): Message {
  if (json.type === 'audio')
    return { ...json, payload: fromHex(json.payload as string) } as Message;
  if (json.type === 'sealed-audio') {
    return { ...json, sealed: fromHex(json.sealed as string) } as unknown as Message;
  }
  return json as unknown as Message;
}
