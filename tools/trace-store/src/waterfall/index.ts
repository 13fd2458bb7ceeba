/**
 * The waterfall renderer on its own entry point (`@sightline/trace-store/waterfall`), so
 * the CLI draws traces read from any store without loading the trace store itself.
 */
export {
  formatDuration,
  MIN_WIDTH,
  renderWaterfall,
  type WaterfallOptions,
  type WaterfallSpan,
} from './waterfall.js';
