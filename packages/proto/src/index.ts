export * from './errors.js';
export * from './format.js';
export * from './wire/index.js';
