export * from './errors.js';
export * from './format.js';
export * from './common.js';
export * from './wire/index.js';
export * from './control/index.js';
export * from './secure/index.js';
export { SeededRandom } from './seeded-random.js';
export { parseHostPort, type HostPort, type HostPortOptions } from './host-port.js';
