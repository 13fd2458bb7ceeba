/** Feature tables and their builders. */
export * from './feature-table.js';
export * from './table-from-events.js';
export * from './table-from-tensors.js';
