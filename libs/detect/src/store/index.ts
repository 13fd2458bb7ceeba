/** Persistence of fitted detector versions. */
export * from './detector-store.js';
export * from './saved-format.js';
