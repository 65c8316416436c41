export * from './constants.js';
export * from './messages.js';
export {
  type MessageType,
  type Role,
  TAGS,
  AUDIO_TAG_CODE,
  SEALED_AUDIO_TAG_CODE,
  isAudioTagCode,
  tagCode,
} from './tags.js';
export {
  type AudioHeader,
  type SealedAudioHeader,
  createAudioHeader,
  createSealedAudioHeader,
  readAudioHeader,
  readSealedAudioHeader,
  writeAudioHeader,
  writeSealedAudioHeader,
} from './audio.js';
export { datagramVersion, readPreamble } from './preamble.js';
export {
  encode,
  encodeInto,
  encodedSize,
  decodeMessage,
  decodeClientMessage,
  decodeServerMessage,
} from './codec.js';
