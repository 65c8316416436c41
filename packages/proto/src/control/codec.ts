import type { Long } from 'protobufjs';
import { DecodeError, ValueError, mustBe } from '../errors.js';
import { DISCONNECT_REASONS, ID_BYTES, OUTCOMES, idFromBytes, idToBytes, isId } from '../common.js';
import { SAMPLE_TYPES, makeFormat } from '../format.js';
import type { Format, StreamFormats } from '../format.js';
import {
  AUTH_MAC_BYTES,
  AUTH_METHODS,
  AUTH_NONCE_BYTES,
  CONTROL_ERROR_CODES,
  CORRELATED_CONTROL_MESSAGE_TYPES,
  ENCRYPTED_AUDIO_CAPABILITY,
  MAX_REDUNDANCY_PERIODS,
  STREAM_DIRECTIONS,
} from './messages.js';
import type {
  AuthResponse,
  ControlMessage,
  ControlMessageType,
  ControlStatsCounters,
  ControlStreamStats,
  Redundancy,
} from './messages.js';
import { KEY_SHARE_BYTES } from '../secure/key-schedule.js';
import { controlType, enumCodec, schemaMismatch } from './schema.js';
import type { EnumCodec } from './schema.js';

// What protobufjs hands back for control.proto (field names camelCased). Unset scalars read as
// their defaults, unset messages as null, unset bytes as an empty array, and uint64 as a Long.
type WireBytes = ArrayLike<number>;
type WireUint64 = number | Long;

interface WireFormat {
  readonly sampleType: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bufferFrames: number;
}

interface WireStreamFormats {
  readonly inputs: readonly WireFormat[];
  readonly outputs: readonly WireFormat[];
}

interface WireAuthResponse {
  readonly clientNonce: WireBytes;
  readonly mac: WireBytes;
}

interface WireHello {
  readonly protocolVersion: number;
  readonly clientId: WireBytes;
  readonly clientName: string;
  readonly capabilities: readonly string[];
  readonly udpAudioPort: number;
  readonly auth?: WireAuthResponse | null;
  readonly keyShare: WireBytes;
}

interface WireAuthChallenge {
  readonly method: number;
  readonly nonce: WireBytes;
}

interface WireWelcome {
  readonly protocolVersion: number;
  readonly endpointId: WireBytes;
  readonly endpointName: string;
  readonly formats?: WireStreamFormats | null;
  readonly capabilities: readonly string[];
  readonly udpAudioPort: number;
  readonly authProof: WireBytes;
  readonly keyShare: WireBytes;
}

interface WireRedundancy {
  readonly serverToClient: number;
  readonly clientToServer: number;
}

interface WireStartIo {
  readonly redundancy?: WireRedundancy | null;
}

interface WireResult {
  readonly outcome: number;
  readonly reason: string;
  /** Only in StartIoResult. */
  readonly redundancy?: WireRedundancy | null;
}

interface WireHeartbeat {
  readonly sequence: number;
  readonly senderTimeUs: WireUint64;
}

interface WireCounters {
  readonly packetsSent?: WireUint64 | null;
  readonly packetsReceived?: WireUint64 | null;
  readonly bytesSent?: WireUint64 | null;
  readonly bytesReceived?: WireUint64 | null;
  readonly lostFrames?: WireUint64 | null;
  readonly latePackets?: WireUint64 | null;
  readonly duplicatePackets?: WireUint64 | null;
  readonly underruns?: WireUint64 | null;
  readonly overruns?: WireUint64 | null;
  readonly xruns?: WireUint64 | null;
  readonly latencyFrames?: number | null;
  readonly bufferFillFrames?: number | null;
  readonly jitterUs?: number | null;
  readonly driftPpm?: number | null;
  readonly skippedFrames?: WireUint64 | null;
}

interface WireStreamStats {
  readonly direction: number;
  readonly streamIndex: number;
  readonly counters?: WireCounters | null;
}

interface WireStats {
  readonly senderTimeUs: WireUint64;
  readonly session?: WireCounters | null;
  readonly streams: readonly WireStreamStats[];
}

interface WireError {
  readonly code: number;
  readonly message: string;
}

interface WireDisconnect {
  readonly reason: number;
  readonly text: string;
}

interface WireFrame {
  readonly requestId: number;
  readonly hello?: WireHello | null;
  readonly authChallenge?: WireAuthChallenge | null;
  readonly welcome?: WireWelcome | null;
  readonly startIo?: WireStartIo | null;
  readonly startIoResult?: WireResult | null;
  readonly stopIo?: object | null;
  readonly stopIoResult?: WireResult | null;
  readonly heartbeat?: WireHeartbeat | null;
  readonly stats?: WireStats | null;
  readonly error?: WireError | null;
  readonly disconnect?: WireDisconnect | null;
}

type BodyField = Exclude<keyof WireFrame, 'requestId'>;

/** Which `ControlFrame.body` field carries each message type. */
const BODY_FIELDS = {
  hello: 'hello',
  'auth-challenge': 'authChallenge',
  welcome: 'welcome',
  'start-io': 'startIo',
  'start-io-result': 'startIoResult',
  'stop-io': 'stopIo',
  'stop-io-result': 'stopIoResult',
  heartbeat: 'heartbeat',
  stats: 'stats',
  error: 'error',
  disconnect: 'disconnect',
} as const satisfies Record<ControlMessageType, BodyField>;
const BODY_FIELD_NAMES: readonly BodyField[] = Object.values(BODY_FIELDS);
/** Every control message type, in the schema's order. */
export const CONTROL_MESSAGE_TYPES = Object.keys(BODY_FIELDS) as readonly ControlMessageType[];

const CONTROL_FRAME = controlType('ControlFrame');
// A body field missing from BODY_FIELDS would decode as "no body"; catch the drift at load instead.
{
  const schemaFields = CONTROL_FRAME.oneofs['body']?.oneof ?? [];
  if (
    schemaFields.length !== BODY_FIELD_NAMES.length ||
    !schemaFields.every((field) => (BODY_FIELD_NAMES as readonly string[]).includes(field))
  ) {
    throw schemaMismatch(
      `ControlFrame.body holds ${schemaFields.join(', ')}; this code expects ${BODY_FIELD_NAMES.join(', ')}`,
    );
  }
}

const SAMPLE_TYPE = enumCodec('SampleType', SAMPLE_TYPES);
const OUTCOME = enumCodec('Outcome', OUTCOMES);
const DISCONNECT_REASON = enumCodec('DisconnectReason', DISCONNECT_REASONS);
const ERROR_CODE = enumCodec('ErrorCode', CONTROL_ERROR_CODES);
const AUTH_METHOD = enumCodec('AuthMethod', AUTH_METHODS);
const STREAM_DIRECTION = enumCodec('StreamDirection', STREAM_DIRECTIONS);

const UINT32_MAX = 0xffff_ffff;
const PORT_MAX = 0xffff;

const UINT64_COUNTERS = [
  'packetsSent',
  'packetsReceived',
  'bytesSent',
  'bytesReceived',
  'lostFrames',
  'latePackets',
  'duplicatePackets',
  'underruns',
  'overruns',
  'xruns',
  'skippedFrames',
] as const satisfies readonly (keyof ControlStatsCounters)[];
const UINT32_GAUGES = [
  'latencyFrames',
  'bufferFillFrames',
] as const satisfies readonly (keyof ControlStatsCounters)[];

type MutableCounters = { -readonly [K in keyof ControlStatsCounters]: ControlStatsCounters[K] };

// ---------------------------------------------------------------------------------------------
// Encoding: the model is checked field by field because protobufjs would silently coerce or
// truncate a bad value into a frame the peer then rejects.

function invalid(path: string, expected: string, got: unknown): ValueError {
  return new ValueError('BAD_FIELD', mustBe(`control ${path}`, expected, got));
}

function uint32Field(value: unknown, path: string, min = 0, max = UINT32_MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function uint64Field(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, 'an integer from 0 to 2^53 - 1', value);
  }
  return value;
}

function finiteField(value: unknown, path: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(path, min === 0 ? 'a finite number ≥ 0' : 'a finite number', value);
  }
  return value;
}

// In a /u regex a surrogate pair is one code point, so this matches only unpaired surrogates,
// which have no UTF-8 encoding (protobufjs would silently replace them).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function stringField(value: unknown, path: string): string {
  if (typeof value !== 'string' || LONE_SURROGATE.test(value)) {
    throw invalid(path, 'a well-formed Unicode string', value);
  }
  return value;
}

function stringsField(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) {
    throw invalid(path, 'an array of strings', value);
  }
  return value.map((item: unknown, i) => stringField(item, `${path}[${i}]`));
}

function bytesField(value: unknown, length: number, path: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw invalid(path, `${length} bytes`, value);
  }
  return value;
}

function enumField<T extends string>(codec: EnumCodec<T>, value: unknown, path: string): number {
  const code = codec.toWire(value);
  if (code === undefined) {
    throw invalid(path, `one of ${codec.literals.join(', ')}`, value);
  }
  return code;
}

function uuidField(value: unknown, path: string): Uint8Array {
  if (!isId(value)) {
    throw invalid(path, 'a lowercase 8-4-4-4-12 hex id', value);
  }
  return idToBytes(value, path);
}

function formatField(format: Format, path: string): object {
  let valid: Format;
  try {
    valid = makeFormat(format);
  } catch (error) {
    if (error instanceof ValueError) {
      throw new ValueError(error.code, `control ${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return {
    sampleType: enumField(SAMPLE_TYPE, valid.sampleType, `${path}.sampleType`),
    sampleRate: valid.sampleRate,
    channels: valid.channels,
    bufferFrames: valid.bufferFrames,
  };
}

function formatsField(formats: StreamFormats, path: string): object {
  const list = (value: unknown, listPath: string): object[] => {
    if (!Array.isArray(value)) {
      throw invalid(listPath, 'an array of formats', value);
    }
    return value.map((format: Format, i) => formatField(format, `${listPath}[${i}]`));
  };
  return {
    inputs: list(formats.inputs, `${path}.inputs`),
    outputs: list(formats.outputs, `${path}.outputs`),
  };
}

function countersField(counters: ControlStatsCounters, path: string): object {
  const wire: Record<string, number> = {};
  for (const key of UINT64_COUNTERS) {
    if (counters[key] !== undefined) wire[key] = uint64Field(counters[key], `${path}.${key}`);
  }
  for (const key of UINT32_GAUGES) {
    if (counters[key] !== undefined) wire[key] = uint32Field(counters[key], `${path}.${key}`);
  }
  if (counters.jitterUs !== undefined) {
    wire['jitterUs'] = finiteField(counters.jitterUs, `${path}.jitterUs`, 0);
  }
  if (counters.driftPpm !== undefined) {
    wire['driftPpm'] = finiteField(counters.driftPpm, `${path}.driftPpm`);
  }
  return wire;
}

function streamStatsField(stream: ControlStreamStats, path: string): object {
  return {
    direction: enumField(STREAM_DIRECTION, stream.direction, `${path}.direction`),
    streamIndex: uint32Field(stream.streamIndex, `${path}.streamIndex`),
    counters: countersField(stream.counters, `${path}.counters`),
  };
}

function redundancyField(redundancy: Redundancy, path: string): object {
  return {
    serverToClient: uint32Field(
      redundancy.serverToClient,
      `${path}.serverToClient`,
      0,
      MAX_REDUNDANCY_PERIODS,
    ),
    clientToServer: uint32Field(
      redundancy.clientToServer,
      `${path}.clientToServer`,
      0,
      MAX_REDUNDANCY_PERIODS,
    ),
  };
}

function authResponseField(auth: AuthResponse, path: string): object {
  return {
    clientNonce: bytesField(auth.clientNonce, AUTH_NONCE_BYTES, `${path}.clientNonce`),
    mac: bytesField(auth.mac, AUTH_MAC_BYTES, `${path}.mac`),
  };
}

/**
 * `keyShare` checked against `capabilities`: present if and only if they list
 * ENCRYPTED_AUDIO_CAPABILITY (SECURITY.md §2), and then KEY_SHARE_BYTES long.
 */
function keyShareField(
  keyShare: unknown,
  capabilities: readonly string[],
  path: string,
): { keyShare?: Uint8Array } {
  const offered = capabilities.includes(ENCRYPTED_AUDIO_CAPABILITY);
  if (keyShare === undefined) {
    if (offered) throw invalid(path, `a key share with "${ENCRYPTED_AUDIO_CAPABILITY}"`, 'none');
    return {};
  }
  if (!offered) throw invalid(path, `none without "${ENCRYPTED_AUDIO_CAPABILITY}"`, 'a key share');
  return { keyShare: bytesField(keyShare, KEY_SHARE_BYTES, path) };
}

function encodeBody(message: ControlMessage): object {
  switch (message.type) {
    case 'hello': {
      const capabilities = stringsField(message.capabilities, 'hello.capabilities');
      return {
        protocolVersion: uint32Field(message.protocolVersion, 'hello.protocolVersion', 1),
        clientId: uuidField(message.clientId, 'hello.clientId'),
        clientName: stringField(message.clientName, 'hello.clientName'),
        capabilities,
        udpAudioPort: uint32Field(message.udpAudioPort, 'hello.udpAudioPort', 1, PORT_MAX),
        ...(message.auth && { auth: authResponseField(message.auth, 'hello.auth') }),
        ...keyShareField(message.keyShare, capabilities, 'hello.keyShare'),
      };
    }
    case 'auth-challenge':
      return {
        method: enumField(AUTH_METHOD, message.method, 'auth-challenge.method'),
        nonce: bytesField(message.nonce, AUTH_NONCE_BYTES, 'auth-challenge.nonce'),
      };
    case 'welcome': {
      const capabilities = stringsField(message.capabilities, 'welcome.capabilities');
      return {
        protocolVersion: uint32Field(message.protocolVersion, 'welcome.protocolVersion', 1),
        endpointId: uuidField(message.endpointId, 'welcome.endpointId'),
        endpointName: stringField(message.endpointName, 'welcome.endpointName'),
        formats: formatsField(message.formats, 'welcome.formats'),
        capabilities,
        udpAudioPort: uint32Field(message.udpAudioPort, 'welcome.udpAudioPort', 1, PORT_MAX),
        ...(message.authProof && {
          authProof: bytesField(message.authProof, AUTH_MAC_BYTES, 'welcome.authProof'),
        }),
        ...keyShareField(message.keyShare, capabilities, 'welcome.keyShare'),
      };
    }
    case 'start-io':
      return message.redundancy === undefined
        ? {}
        : { redundancy: redundancyField(message.redundancy, 'start-io.redundancy') };
    case 'stop-io':
      return {};
    case 'start-io-result':
      if (message.redundancy !== undefined && message.outcome !== 'ok') {
        throw invalid('start-io-result.redundancy', 'none unless the outcome is ok', 'present');
      }
      return {
        outcome: enumField(OUTCOME, message.outcome, 'start-io-result.outcome'),
        reason: stringField(message.reason, 'start-io-result.reason'),
        ...(message.redundancy !== undefined && {
          redundancy: redundancyField(message.redundancy, 'start-io-result.redundancy'),
        }),
      };
    case 'stop-io-result':
      return {
        outcome: enumField(OUTCOME, message.outcome, 'stop-io-result.outcome'),
        reason: stringField(message.reason, 'stop-io-result.reason'),
      };
    case 'heartbeat':
      return {
        sequence: uint32Field(message.sequence, 'heartbeat.sequence'),
        senderTimeUs: uint64Field(message.senderTimeUs, 'heartbeat.senderTimeUs'),
      };
    case 'stats':
      if (!Array.isArray(message.streams)) {
        throw invalid('stats.streams', 'an array', message.streams);
      }
      return {
        senderTimeUs: uint64Field(message.senderTimeUs, 'stats.senderTimeUs'),
        session: countersField(message.session, 'stats.session'),
        streams: message.streams.map((stream, i) =>
          streamStatsField(stream, `stats.streams[${i}]`),
        ),
      };
    case 'error':
      return {
        code: enumField(ERROR_CODE, message.code, 'error.code'),
        message: stringField(message.message, 'error.message'),
      };
    case 'disconnect':
      return {
        reason: enumField(DISCONNECT_REASON, message.reason, 'disconnect.reason'),
        text: stringField(message.text, 'disconnect.text'),
      };
    default:
      throw invalid(
        'message.type',
        `one of ${Object.keys(BODY_FIELDS).join(', ')}`,
        (message as { type: unknown }).type,
      );
  }
}

/**
 * The ControlFrame protobuf for `message`, without the length prefix.
 * Throws ValueError when a field breaks a protocol rule (the message names the field).
 */
export function encodeControlMessage(message: ControlMessage): Uint8Array {
  const body = encodeBody(message);
  const min = CORRELATED_CONTROL_MESSAGE_TYPES.has(message.type) ? 1 : 0;
  const requestId = uint32Field(message.requestId, `${message.type}.requestId`, min);
  const encoded = CONTROL_FRAME.encode({ requestId, [BODY_FIELDS[message.type]]: body }).finish();
  // A copy: protobufjs hands back a Node Buffer, often a slice of a shared pool.
  return new Uint8Array(encoded);
}

// ---------------------------------------------------------------------------------------------
// Decoding: protobufjs checks only the wire structure; every protocol rule is checked here.

/** protobufjs leaves an unset message field null (or undefined). */
function isSet<T>(value: T): value is NonNullable<T> {
  return value !== null && value !== undefined;
}

/**
 * An `optional` field's value when it was on the wire. Presence means an own property: protobufjs
 * puts defaults on the prototype, and for an optional uint64 that default is a zero Long, not null.
 */
function present<T extends object, K extends keyof T>(
  wire: T,
  key: K,
): NonNullable<T[K]> | undefined {
  const value = wire[key];
  return Object.hasOwn(wire, key) && isSet(value) ? value : undefined;
}

function bad(path: string, detail: string): DecodeError {
  return new DecodeError('BAD_FIELD', `control ${path}: ${detail}`);
}

function badValue(path: string, expected: string, got: unknown): DecodeError {
  return new DecodeError('BAD_FIELD', mustBe(`control ${path}`, expected, got));
}

/** protobufjs throws RangeError("index out of range…") when a length runs past the end, Error otherwise. */
function fromProtobufError(error: unknown): DecodeError {
  const detail = error instanceof Error ? error.message : String(error);
  const truncated = error instanceof RangeError && detail.startsWith('index out of range');
  return new DecodeError(truncated ? 'TRUNCATED' : 'BAD_FIELD', `control frame: ${detail}`, {
    cause: error,
  });
}

function readEnum<T extends string>(codec: EnumCodec<T>, code: number, path: string): T {
  const value = codec.fromWire(code);
  if (value === undefined) {
    throw bad(path, code === 0 ? 'unspecified (0)' : `unknown enum value ${code}`);
  }
  return value;
}

function readBytes(bytes: WireBytes, length: number, path: string): Uint8Array {
  // A copy: protobufjs returns views into the frame, which may be the caller's receive buffer
  // (and an empty array, not bytes, for a field left out).
  const copy = Uint8Array.from(bytes);
  if (copy.length !== length) throw badValue(path, `${length} bytes`, copy);
  return copy;
}

function readUuid(bytes: WireBytes, path: string): string {
  return idFromBytes(readBytes(bytes, ID_BYTES, path));
}

function readUint64(value: WireUint64, path: string): number {
  const exact =
    typeof value === 'number'
      ? BigInt(value)
      : (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  if (exact > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw bad(path, `${exact} is above 2^53 - 1`);
  }
  return Number(exact);
}

function readMin(value: number, min: number, path: string): number {
  if (value < min) {
    throw badValue(path, `at least ${min}`, value);
  }
  return value;
}

function readPort(value: number, path: string): number {
  if (value < 1 || value > PORT_MAX) {
    throw badValue(path, `a port from 1 to ${PORT_MAX}`, value);
  }
  return value;
}

function readFinite(value: number, path: string, min = -Infinity): number {
  if (!Number.isFinite(value) || value < min) {
    throw badValue(path, `a finite number${min === 0 ? ' ≥ 0' : ''}`, value);
  }
  return value;
}

function readFormat(wire: WireFormat, path: string): Format {
  const sampleType = readEnum(SAMPLE_TYPE, wire.sampleType, `${path}.sampleType`);
  try {
    return makeFormat({
      sampleType,
      sampleRate: wire.sampleRate,
      channels: wire.channels,
      bufferFrames: wire.bufferFrames,
    });
  } catch (error) {
    if (error instanceof ValueError) {
      throw new DecodeError('BAD_FIELD', `control ${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function readFormats(wire: WireStreamFormats | null | undefined, path: string): StreamFormats {
  if (!wire) {
    throw bad(path, 'missing');
  }
  return {
    inputs: wire.inputs.map((format, i) => readFormat(format, `${path}.inputs[${i}]`)),
    outputs: wire.outputs.map((format, i) => readFormat(format, `${path}.outputs[${i}]`)),
  };
}

function readCounters(wire: WireCounters | null | undefined, path: string): ControlStatsCounters {
  const counters: MutableCounters = {};
  if (!wire) {
    return counters;
  }
  for (const key of UINT64_COUNTERS) {
    const value = present(wire, key);
    if (value !== undefined) counters[key] = readUint64(value, `${path}.${key}`);
  }
  for (const key of UINT32_GAUGES) {
    const value = present(wire, key);
    if (value !== undefined) counters[key] = value;
  }
  const jitterUs = present(wire, 'jitterUs');
  if (jitterUs !== undefined) counters.jitterUs = readFinite(jitterUs, `${path}.jitterUs`, 0);
  const driftPpm = present(wire, 'driftPpm');
  if (driftPpm !== undefined) counters.driftPpm = readFinite(driftPpm, `${path}.driftPpm`);
  return counters;
}

/**
 * protobufjs decodes some malformed UTF-8 (e.g. an encoded surrogate) to a lone surrogate
 * instead of failing; such a string could not even be re-encoded, so it is rejected here.
 */
function readText(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) {
    throw bad(path, 'not valid UTF-8');
  }
  return value;
}

function readRedundancy(wire: WireRedundancy, path: string): Redundancy {
  const read = (value: number, field: string): number => {
    if (value > MAX_REDUNDANCY_PERIODS) {
      throw badValue(`${path}.${field}`, `0 to ${MAX_REDUNDANCY_PERIODS} periods`, value);
    }
    return value;
  };
  return {
    serverToClient: read(wire.serverToClient, 'serverToClient'),
    clientToServer: read(wire.clientToServer, 'clientToServer'),
  };
}

function readAuthResponse(wire: WireAuthResponse, path: string): AuthResponse {
  return {
    clientNonce: readBytes(wire.clientNonce, AUTH_NONCE_BYTES, `${path}.clientNonce`),
    mac: readBytes(wire.mac, AUTH_MAC_BYTES, `${path}.mac`),
  };
}

/**
 * A Hello's or Welcome's key share: present (proto3 bytes: non-empty) if and only if
 * `capabilities` lists ENCRYPTED_AUDIO_CAPABILITY, and then KEY_SHARE_BYTES long.
 */
function readKeyShare(
  bytes: WireBytes,
  capabilities: readonly string[],
  path: string,
): { keyShare?: Uint8Array } {
  const offered = capabilities.includes(ENCRYPTED_AUDIO_CAPABILITY);
  if (bytes.length === 0) {
    if (offered) throw bad(path, `missing, with "${ENCRYPTED_AUDIO_CAPABILITY}"`);
    return {};
  }
  if (!offered) throw bad(path, `present without "${ENCRYPTED_AUDIO_CAPABILITY}"`);
  return { keyShare: readBytes(bytes, KEY_SHARE_BYTES, path) };
}

function readBody(frame: WireFrame): ControlMessage {
  const { requestId } = frame;
  const { hello, authChallenge, welcome, startIo, startIoResult, stopIo, stopIoResult } = frame;
  const { heartbeat, stats, error, disconnect } = frame;
  if (hello) {
    const capabilities = hello.capabilities.map((c, i) => readText(c, `hello.capabilities[${i}]`));
    return {
      type: 'hello',
      requestId,
      protocolVersion: readMin(hello.protocolVersion, 1, 'hello.protocolVersion'),
      clientId: readUuid(hello.clientId, 'hello.clientId'),
      clientName: readText(hello.clientName, 'hello.clientName'),
      capabilities,
      udpAudioPort: readPort(hello.udpAudioPort, 'hello.udpAudioPort'),
      ...(hello.auth && { auth: readAuthResponse(hello.auth, 'hello.auth') }),
      ...readKeyShare(hello.keyShare, capabilities, 'hello.keyShare'),
    };
  }
  if (authChallenge) {
    return {
      type: 'auth-challenge',
      requestId,
      method: readEnum(AUTH_METHOD, authChallenge.method, 'auth-challenge.method'),
      nonce: readBytes(authChallenge.nonce, AUTH_NONCE_BYTES, 'auth-challenge.nonce'),
    };
  }
  if (welcome) {
    const capabilities = welcome.capabilities.map((c, i) =>
      readText(c, `welcome.capabilities[${i}]`),
    );
    return {
      type: 'welcome',
      requestId,
      protocolVersion: readMin(welcome.protocolVersion, 1, 'welcome.protocolVersion'),
      endpointId: readUuid(welcome.endpointId, 'welcome.endpointId'),
      endpointName: readText(welcome.endpointName, 'welcome.endpointName'),
      formats: readFormats(welcome.formats, 'welcome.formats'),
      capabilities,
      udpAudioPort: readPort(welcome.udpAudioPort, 'welcome.udpAudioPort'),
      // Empty means "no challenge happened": proto3 bytes can't tell absent from empty.
      ...(welcome.authProof.length > 0 && {
        authProof: readBytes(welcome.authProof, AUTH_MAC_BYTES, 'welcome.authProof'),
      }),
      ...readKeyShare(welcome.keyShare, capabilities, 'welcome.keyShare'),
    };
  }
  if (startIo) {
    return {
      type: 'start-io',
      requestId,
      ...(startIo.redundancy && {
        redundancy: readRedundancy(startIo.redundancy, 'start-io.redundancy'),
      }),
    };
  }
  if (startIoResult) {
    const outcome = readEnum(OUTCOME, startIoResult.outcome, 'start-io-result.outcome');
    const { redundancy } = startIoResult;
    if (redundancy && outcome !== 'ok') {
      throw bad('start-io-result.redundancy', `present with outcome ${outcome}`);
    }
    return {
      type: 'start-io-result',
      requestId,
      outcome,
      reason: readText(startIoResult.reason, 'start-io-result.reason'),
      ...(redundancy && {
        redundancy: readRedundancy(redundancy, 'start-io-result.redundancy'),
      }),
    };
  }
  if (stopIo) {
    return { type: 'stop-io', requestId };
  }
  if (stopIoResult) {
    return {
      type: 'stop-io-result',
      requestId,
      outcome: readEnum(OUTCOME, stopIoResult.outcome, 'stop-io-result.outcome'),
      reason: readText(stopIoResult.reason, 'stop-io-result.reason'),
    };
  }
  if (heartbeat) {
    return {
      type: 'heartbeat',
      requestId,
      sequence: heartbeat.sequence,
      senderTimeUs: readUint64(heartbeat.senderTimeUs, 'heartbeat.senderTimeUs'),
    };
  }
  if (stats) {
    return {
      type: 'stats',
      requestId,
      senderTimeUs: readUint64(stats.senderTimeUs, 'stats.senderTimeUs'),
      session: readCounters(stats.session, 'stats.session'),
      streams: stats.streams.map((stream, i) => {
        const path = `stats.streams[${i}]`;
        return {
          direction: readEnum(STREAM_DIRECTION, stream.direction, `${path}.direction`),
          streamIndex: stream.streamIndex,
          counters: readCounters(stream.counters, `${path}.counters`),
        };
      }),
    };
  }
  if (error) {
    return {
      type: 'error',
      requestId,
      code: readEnum(ERROR_CODE, error.code, 'error.code'),
      message: readText(error.message, 'error.message'),
    };
  }
  if (disconnect) {
    return {
      type: 'disconnect',
      requestId,
      reason: readEnum(DISCONNECT_REASON, disconnect.reason, 'disconnect.reason'),
      text: readText(disconnect.text, 'disconnect.text'),
    };
  }
  throw bad('frame', 'no body (empty, or a message type this version does not know)');
}

/**
 * Decodes one ControlFrame protobuf (without the length prefix).
 * Throws DecodeError, and nothing else, when the bytes are not a valid control message.
 */
export function decodeControlMessage(bytes: Uint8Array): ControlMessage {
  let frame: WireFrame;
  // A plain view of a Node Buffer: protobufjs reads a Buffer's strings leniently (a string running
  // past the end is cut short, invalid UTF-8 decodes differently), and TCP reads are Buffers while
  // split frames are gathered in a Uint8Array, so the verdict would depend on where TCP cut.
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    frame = CONTROL_FRAME.decode(plain) as unknown as WireFrame;
  } catch (error) {
    throw fromProtobufError(error);
  }
  // protobufjs keeps every body field it saw; a conforming sender writes exactly one.
  const bodies = BODY_FIELD_NAMES.filter((field) => isSet(frame[field]));
  if (bodies.length > 1) {
    throw bad('frame', `expected one body, got ${bodies.join(', ')}`);
  }
  const message = readBody(frame);
  if (message.requestId === 0 && CORRELATED_CONTROL_MESSAGE_TYPES.has(message.type)) {
    throw bad(`${message.type}.requestId`, 'a request or response needs a non-zero id');
  }
  return message;
}
