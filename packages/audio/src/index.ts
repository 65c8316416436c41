export * from './backend.js';
export { AudioError, type AudioErrorCode } from './errors.js';
export * from './wav/index.js';
export * from './virtual/index.js';
export type * from './stream-engine.js';
export * from './engine/index.js';
export * from './duplex.js';
export { loadProcessor } from './engine/processor.js';
