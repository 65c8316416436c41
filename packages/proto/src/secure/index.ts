export * from './key-schedule.js';
