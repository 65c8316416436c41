export {
  WAV_SAMPLE_TYPES,
  isWavSampleType,
  wavSampleType,
  type WavFormat,
  type WavSampleType,
} from './wav-format.js';
export { WavReader, readWavFile } from './wav-reader.js';
export { WavWriter, type WavWriterOptions } from './wav-writer.js';
