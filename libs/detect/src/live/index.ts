/** Live windows, attachments, the live scorer and historical runs. */
export * from './attachment.js';
export * from './checkpoint-file.js';
export * from './history-run.js';
export * from './live-scorer.js';
export * from './window-assembler.js';
export * from './window-result.js';
