export * from './messages.js';
export { CONTROL_MESSAGE_TYPES, encodeControlMessage, decodeControlMessage } from './codec.js';
export {
  MAX_CONTROL_FRAME_BYTES,
  type ControlFramingOptions,
  encodeControlFrame,
  encodeVersion1ControlFrame,
  ControlFrameDecoder,
} from './framing.js';
export type { ControlSchemaErrorCode } from './schema.js';
