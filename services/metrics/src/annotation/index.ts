export * from './annotation-options.js';
export * from './annotation-queues.js';
export * from './annotation-types.js';
export { DEFAULT_CAPACITY, DEFAULT_SAMPLE_RATE, MAX_CAPACITY } from './queue-settings.js';
