/**
 * Which models and series have ever predicted: the NOT_FOUND checks of the query RPCs.
 * One interface so the service can answer it cheaply (e.g. from a series table) where counting
 * rows is slow; {@link storeSeriesCatalog} is the plain one.
 */
import type { MetricsStore } from '../store/metrics-store.js';

export interface SeriesCatalog {
  /** Whether any prediction of the model (only this version / node when given) is stored. */
  hasPredictions(series: { modelName: string; modelVersion?: string; node?: string }): Promise<boolean>;
}

/**
 * A catalog on the store's counts over all time. Each call counts the series' stored rows (an
 * index range scan of the model's predictions and pairs): fine for moderate stores; a service
 * with very large ones should pass a cheaper catalog.
 */
export function storeSeriesCatalog(store: Pick<MetricsStore, 'counts'>): SeriesCatalog {
  return {
    async hasPredictions(series) {
      const counts = await store.counts({ ...series, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
      return counts.predictedRows > 0;
    },
  };
}
