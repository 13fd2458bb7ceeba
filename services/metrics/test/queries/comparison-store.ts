/** A real SQLite MetricsStore in a temp directory, fed with paired predictions of two versions. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PredictionRecord, Truth } from '../../src/domain/records.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import { feedback, prediction } from '../helpers/records.js';

export interface TempStore {
  readonly store: MetricsStore;
  cleanup(): Promise<void>;
}

export async function openTempStore(): Promise<TempStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sightline-metrics-queries-'));
  const store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One request as both versions answered it: each version's predicted label (undefined: that version did not predict). */
export interface LabelledRequest {
  readonly truth: string;
  readonly baseline?: string;
  readonly candidate?: string;
  readonly country?: string;
}

/** Stores iris versions "1" (baseline) and "2" (candidate) predicting `requests`, then one truth per request (model '' judges both). */
export async function feedRequests(store: MetricsStore, requests: readonly LabelledRequest[]): Promise<void> {
  const records: PredictionRecord[] = [];
  requests.forEach((request, i) => {
    const row = (label: string) => ({
      row: 0,
      label,
      probabilities: label === 'setosa' ? [0.7, 0.2, 0.1] : [0.2, 0.7, 0.1],
      segments: { country: request.country ?? 'fr' },
    });
    const options = (version: string, label: string) => ({
      modelVersion: version,
      timeMs: 1_000 + i,
      rows: [row(label)],
    });
    if (request.baseline) records.push(prediction(`b${i}`, `r${i}`, options('1', request.baseline)));
    if (request.candidate) records.push(prediction(`c${i}`, `r${i}`, options('2', request.candidate)));
  });
  for (let i = 0; i < records.length; i += 1000)
    await store.recordPredictions(records.slice(i, i + 1000), 2_000_000);
  const truths = requests.map((request, i) =>
    feedback(`r${i}`, { kind: 'label', label: request.truth } satisfies Truth),
  );
  for (let i = 0; i < truths.length; i += 1000)
    await store.recordFeedback(truths.slice(i, i + 1000), 2_000_000);
}

/** Regression: version "1" and "2" of model "price" off the truth by the given errors. */
export async function feedRegression(
  store: MetricsStore,
  rows: readonly { truth: number; baselineError: number; candidateError: number }[],
): Promise<void> {
  const records: PredictionRecord[] = [];
  rows.forEach((r, i) => {
    for (const [version, error] of [
      ['1', r.baselineError],
      ['2', r.candidateError],
    ] as const) {
      records.push({
        ...prediction(`${version}-${i}`, `r${i}`, {
          modelName: 'price',
          modelVersion: version,
          task: 'regression',
          classes: [],
          timeMs: 1_000 + i,
        }),
        rows: [{ row: 0, values: [r.truth + error] }],
      });
    }
  });
  await store.recordPredictions(records, 2_000_000);
  await store.recordFeedback(
    rows.map((r, i) => feedback(`r${i}`, { kind: 'value', values: [r.truth] }, { modelName: 'price' })),
    2_000_000,
  );
}
