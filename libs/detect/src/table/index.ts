/** Feature tables and their builders. */

export * from './contract-tensors.js';
export * from './event-row-reader.js';
export * from './feature-table.js';
export * from './float32-decimal.js';
export * from './numeric-text.js';
export * from './table-from-csv.js';
export * from './table-from-events.js';
export * from './table-from-tensors.js';
export * from './tensor-from-npy.js';
