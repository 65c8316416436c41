export * from './errors.js';
export * from './endpoint.js';
