export {
  WAV_SAMPLE_TYPES,
  blockAlign,
  isWavSampleType,
  wavSampleType,
  type WavFormat,
  type WavSampleType,
} from './wav-format.js';
export {
  walkToData,
  wavStreamHeader,
  type ByteSource,
  type WavDataStart,
} from './wav-header-walk.js';
export { WavReader, readWavFile } from './wav-reader.js';
export { WavWriter, type WavWriterOptions } from './wav-writer.js';
