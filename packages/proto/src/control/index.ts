export * from './messages.js';
export { CONTROL_MESSAGE_TYPES, encodeControlMessage, decodeControlMessage } from './codec.js';
export {
  CONTROL_LENGTH_PREFIX_BYTES,
  MAX_CONTROL_FRAME_BYTES,
  type ControlFramingOptions,
  encodeControlFrame,
  ControlFrameDecoder,
} from './framing.js';
export type { ControlSchemaErrorCode } from './schema.js';
