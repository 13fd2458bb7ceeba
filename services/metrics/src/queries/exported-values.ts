/** The windowed values exported as Prometheus gauges: each series' trailing window. */

import type { ExportedValue } from '../observability/metrics-service-metrics.js';
import type { MetricsDataPlane } from '../service/metrics-data-plane.js';
import { getMetrics } from './get-metrics.js';

/** Every series' values over the trailing `windowMs` (series with nothing in it export nothing). */
export async function exportedValues(
  plane: MetricsDataPlane,
  nowMs: number,
  windowMs: number,
): Promise<ExportedValue[]> {
  const out: ExportedValue[] = [];
  // Each series on its own: its version and node set, so a window never merges series.
  for (const { series } of plane.matchingSeriesOfAll()) {
    let answer: Awaited<ReturnType<typeof getMetrics>>;
    try {
      answer = await getMetrics(plane, { series, window: { kind: 'trailing', ms: windowMs } }, nowMs);
    } catch {
      continue;
    }
    const w = answer.windows[0];
    if (w === undefined || w.kind !== 'time') continue;
    const m = w.metrics;
    const push = (metric: string, value: number | undefined) => {
      if (value !== undefined) out.push({ series, metric, value });
    };
    push('predictions', m.predictions);
    push('pairs', m.joined);
    push('coverage', m.coverage.value);
    if (m.classification !== undefined && m.joined > 0) {
      push('accuracy', m.classification.accuracy);
      push('macro_f1', m.classification.macro.f1);
      push('weighted_f1', m.classification.weighted.f1);
      if (m.classification.probabilityCount > 0) {
        push('log_loss', m.classification.logLoss);
        push('roc_auc', m.classification.rocAuc?.binary ?? m.classification.rocAuc?.macro);
      }
    }
    if (m.regression !== undefined && m.joined > 0) {
      push('mae', m.regression.mae);
      push('rmse', m.regression.rmse);
      push('mse', m.regression.mse);
      push('r2', m.regression.r2);
    }
    if (m.cbpe !== undefined) {
      push('estimated_accuracy', m.cbpe.accuracy.value);
      push('estimated_accuracy_gap', m.cbpe.gap?.accuracy.value);
    }
    if (m.dle !== undefined) {
      push('estimated_mae', m.dle.mae);
      push('estimated_rmse', m.dle.rmse);
      push('estimated_mae_gap', m.dle.gap?.mae);
    }
  }
  return out;
}
