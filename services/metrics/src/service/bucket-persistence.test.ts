/**
 * A read and a flush of the bucket persistence exclude each other. A flush moves a bucket's
 * deltas from the windows to the store over a round trip (PostgreSQL's fold takes
 * milliseconds); a read in that gap found them in neither and under-counted the newest pairs.
 * Here the real SQLite store's fold (and read) is held at a gate, so the gap is certain.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { classPair, classRecord, MINUTE, SERIES, T0 } from '../../test/window-records.js';
import type { MetricsStore } from '../store/metrics-store.js';
import { SqliteMetricsStore } from '../store/sqlite/sqlite-metrics-store.js';
import { MetricWindows } from '../windows/metric-windows.js';
import { BucketPersistence } from './bucket-persistence.js';

const NO_OBSERVER = { flushed: () => {}, flushFailed: () => {}, dropped: () => {} };
const ROW = { minute: 0, predicted: 0, truth: 0, weights: [8, 1, 1] } as const;

/** A gate the test opens; `held` resolves once a call is waiting at it. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return {
    open,
    held,
    pass: async () => {
      reached();
      await opened;
    },
  };
}

/** The store with one method made to wait at `at`: before it runs (a fold) or after (a read's answer). */
function holding(store: MetricsStore, method: 'foldSummaries' | 'summaries', at: ReturnType<typeof gate>) {
  return new Proxy(store, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      if (name !== method) return value.bind(target);
      const call = (args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      return method === 'foldSummaries'
        ? async (...args: unknown[]) => {
            await at.pass();
            return call(args);
          }
        : async (...args: unknown[]) => {
            const answer = await call(args);
            await at.pass();
            return answer;
          };
    },
  });
}

let dir: string;
let store: SqliteMetricsStore;
let windows: MetricWindows;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-bucket-persistence-'));
  store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
  windows = new MetricWindows({ countWindowPairs: 0 });
  windows.addPrediction(classRecord(ROW, 1));
  windows.addPair(classPair(ROW, 1));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const joinedOver = async (persistence: BucketPersistence) =>
  (await persistence.summaryOver(SERIES, undefined, T0, T0 + 60 * MINUTE)).summary.joined;

it('a read during a flush waits for it, and counts the pair once', async () => {
  const fold = gate();
  const persistence = new BucketPersistence(holding(store, 'foldSummaries', fold), windows, NO_OBSERVER);
  const flushing = persistence.flush();
  await fold.held;
  // The deltas are out of the windows and not in the store yet.
  const reading = joinedOver(persistence);
  fold.open();
  await flushing;
  expect(await reading).toBe(1);
  expect(await joinedOver(persistence)).toBe(1);
});

it('a flush during a read waits for it, and the read counts the pair once', async () => {
  const read = gate();
  const persistence = new BucketPersistence(holding(store, 'summaries', read), windows, NO_OBSERVER);
  const reading = joinedOver(persistence);
  await read.held;
  // The read has loaded the store (no pair there yet) but not the windows: a flush now would
  // move the deltas from the windows to the store behind the read's back.
  const flushing = persistence.flush();
  read.open();
  expect(await reading).toBe(1);
  await flushing;
  const after = new BucketPersistence(store, windows, NO_OBSERVER);
  expect(await joinedOver(after)).toBe(1);
});
