/** Live windows, attachments, the live scorer, historical runs and stored references. */
export * from './attachment.js';
export * from './checkpoint-file.js';
export * from './event-pages.js';
export * from './event-selector.js';
export * from './history-run.js';
export * from './live-scorer.js';
export * from './online-states.js';
export * from './stored-reference.js';
export * from './window-assembler.js';
export * from './window-result.js';
export * from './window-share-merger.js';
export * from './window-summary.js';
