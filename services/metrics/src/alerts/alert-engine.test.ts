/**
 * The evaluator over real parts: a MetricWindows fed with joined pairs, a SqliteMetricsStore
 * in a temp directory (rules, alert states, feedback counts), a fake clock (evaluate(nowMs)).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotFoundError } from '@sightline/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classPair, MINUTE, SERIES, T0 } from '../../test/window-records.js';
import type { SeriesKey } from '../domain/records.js';
import type { MetricsStore } from '../store/metrics-store.js';
import { SqliteMetricsStore } from '../store/sqlite/sqlite-metrics-store.js';
import { encodeWindowKey, MetricWindows, type PersistedBucket } from '../windows/index.js';
import { AlertEngine, type AlertEventRecord } from './alert-engine.js';
import { resolveAlertOptions } from './alert-options.js';
import { type AlertReadings, MemorySeriesCatalog, windowAlertReadings } from './alert-readings.js';
import type { AlertRuleInput } from './alert-rule.js';

const LIMITS = { bucketWidthMs: MINUTE, retentionMs: 30 * 86_400_000, segmentNames: ['country'] };
const ACCURACY_RULE: AlertRuleInput = {
  name: 'iris-accuracy',
  series: { modelName: 'iris' },
  metric: 'accuracy',
  comparison: 'lt',
  threshold: 0.8,
  windowMs: 10 * MINUTE,
  minSamples: 30,
  forMs: 3 * MINUTE,
  labels: { severity: 'page' },
  annotations: { summary: 'iris accuracy dropped' },
};

let dir: string;
let file: string;
let store: MetricsStore;
let windows: MetricWindows;
let catalog: MemorySeriesCatalog;
let events: AlertEventRecord[];
let pairIndex: number;

async function newEngine(readings?: AlertReadings): Promise<AlertEngine> {
  const engine = new AlertEngine({
    store,
    readings: readings ?? windowAlertReadings({ windows, store, catalog }),
    sink: { emit: (event) => void events.push(event) },
    limits: LIMITS,
    options: resolveAlertOptions(),
  });
  await engine.load();
  return engine;
}

/**
 * `perMinute` pairs predicted in each of minutes [from, to) of T0, `correctShare` of them
 * right (deterministically: the first round(share * n) of each minute), segment `country`.
 */
function feed(
  from: number,
  to: number,
  perMinute: number,
  correctShare: number,
  country = 'fr',
  series: SeriesKey = SERIES,
) {
  for (let minute = from; minute < to; minute++) {
    const correct = Math.round(correctShare * perMinute);
    for (let k = 0; k < perMinute; k++) {
      const i = pairIndex++;
      const pair = classPair(
        { predicted: 0, truth: k < correct ? 0 : 1, minute, segment: country },
        i,
        undefined,
        series,
      );
      windows.addPair(pair);
      catalog.observe(series, { country });
    }
  }
}

const states = (engine: AlertEngine) =>
  engine
    .alerts()
    .map((a) => ({ rule: a.rule.name, segment: a.status.segment?.value, state: a.status.state }));

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-alerts-'));
  file = path.join(dir, 'metrics.sqlite');
  store = await SqliteMetricsStore.open({ file });
  windows = new MetricWindows({ segmentNames: ['country'], conceptDrift: false });
  catalog = new MemorySeriesCatalog();
  events = [];
  pairIndex = 0;
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('AlertEngine', () => {
  it('goes INACTIVE → PENDING → FIRING on an accuracy drop and resolves when it recovers', async () => {
    const engine = await newEngine();
    await engine.putRule(ACCURACY_RULE);
    feed(0, 10, 50, 0.96);
    await engine.evaluate(T0 + 10 * MINUTE);
    expect(engine.alerts()[0]!.status).toMatchObject({ state: 'inactive', reason: '', samples: 500 });
    expect(engine.alerts()[0]!.status.value).toBeCloseTo(0.96, 12);

    feed(10, 20, 50, 0.5);
    // Window [5, 15): half good, half bad → 0.73 < 0.8: the condition holds from here.
    await engine.evaluate(T0 + 15 * MINUTE);
    expect(engine.alerts()[0]!.status).toMatchObject({ state: 'pending', stateSinceMs: T0 + 15 * MINUTE });
    await engine.evaluate(T0 + 17 * MINUTE);
    expect(engine.alerts()[0]!.status.state).toBe('pending');
    expect(events).toEqual([]);
    await engine.evaluate(T0 + 18 * MINUTE); // held for the 3 minutes of for_duration
    expect(engine.alerts()[0]!.status.state).toBe('firing');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      transition: 'firing',
      rule: { name: 'iris-accuracy', labels: { severity: 'page' } },
      samples: 500,
      firingMs: T0 + 18 * MINUTE,
      timeMs: T0 + 18 * MINUTE,
    });
    expect(events[0]!.value).toBeCloseTo((2 * 50 * 0.96 + 8 * 25) / 500, 12);
    expect(events[0]!.interval?.method).toBe('wilson');

    await engine.evaluate(T0 + 19 * MINUTE); // still firing: no second event
    expect(events).toHaveLength(1);

    feed(20, 30, 50, 0.96);
    await engine.evaluate(T0 + 30 * MINUTE);
    expect(engine.alerts()[0]!.status.state).toBe('inactive');
    expect(events.map((e) => e.transition)).toEqual(['firing', 'resolved']);
    expect(events[1]).toMatchObject({ firingMs: T0 + 18 * MINUTE, timeMs: T0 + 30 * MINUTE });
  });

  it('a dip that ends before for_duration goes back to INACTIVE without an event', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, windowMs: MINUTE });
    feed(0, 1, 50, 0.5);
    feed(1, 2, 50, 0.96);
    await engine.evaluate(T0 + MINUTE);
    expect(engine.alerts()[0]!.status.state).toBe('pending');
    await engine.evaluate(T0 + 2 * MINUTE);
    expect(engine.alerts()[0]!.status.state).toBe('inactive');
    expect(events).toEqual([]);
  });

  it('stays INACTIVE with a reason below min_samples, and for a metric of the other task', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0, minSamples: 1000 });
    await engine.putRule({
      ...ACCURACY_RULE,
      name: 'iris-mae',
      metric: 'mae',
      comparison: 'gt',
      threshold: 0,
    });
    await engine.putRule({ ...ACCURACY_RULE, name: 'unknown-model', series: { modelName: 'nope' } });
    feed(0, 10, 50, 0.1);
    await engine.evaluate(T0 + 10 * MINUTE);
    const reasons = Object.fromEntries(
      engine.alerts().map((a) => [a.rule.name, [a.status.state, a.status.reason]]),
    );
    expect(reasons).toEqual({
      'iris-accuracy': ['inactive', '500 joined pairs of the 1000 needed'],
      'iris-mae': ['inactive', 'mae is a regression metric and the series is classification'],
      'unknown-model': ['inactive', 'no series of model "nope" seen'],
    });
    expect(events).toEqual([]);
  });

  it('use_interval keeps a small window’s dip quiet and fires on a large one', async () => {
    const engine = await newEngine();
    const rule = { ...ACCURACY_RULE, windowMs: MINUTE, forMs: 0, minSamples: 5 };
    await engine.putRule(rule);
    await engine.putRule({ ...rule, name: 'iris-accuracy-interval', useInterval: true });
    feed(0, 1, 10, 0.7); // 7 of 10: Wilson 95% interval ~[0.40, 0.89] reaches above 0.8
    await engine.evaluate(T0 + MINUTE);
    expect(states(engine)).toEqual([
      { rule: 'iris-accuracy', segment: undefined, state: 'firing' },
      { rule: 'iris-accuracy-interval', segment: undefined, state: 'inactive' },
    ]);
    feed(1, 2, 1000, 0.7); // 700 of 1000: the interval ~[0.67, 0.73] lies wholly below 0.8
    await engine.evaluate(T0 + 2 * MINUTE);
    expect(states(engine).map((s) => s.state)).toEqual(['firing', 'firing']);
    const interval = engine.alerts().find((a) => a.rule.useInterval)!.status.interval!;
    expect(interval.high).toBeLessThan(0.8);
  });

  it('gives one alert per segment value when the rule’s value is empty', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0, segment: { name: 'country', value: '' } });
    feed(0, 10, 40, 0.95, 'fr');
    feed(0, 10, 40, 0.5, 'de');
    await engine.evaluate(T0 + 10 * MINUTE);
    expect(states(engine)).toEqual([
      { rule: 'iris-accuracy', segment: 'de', state: 'firing' },
      { rule: 'iris-accuracy', segment: 'fr', state: 'inactive' },
    ]);
    expect(events.map((e) => [e.transition, e.segment])).toEqual([
      ['firing', { name: 'country', value: 'de' }],
    ]);
  });

  it('combines every version of a model when the selector leaves it unset', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0 });
    await engine.putRule({
      ...ACCURACY_RULE,
      name: 'v2-only',
      forMs: 0,
      series: { modelName: 'iris', modelVersion: '2' },
    });
    feed(0, 10, 30, 0.9, 'fr', SERIES); // 27 of 30 right a minute
    feed(0, 10, 30, 0.6, 'fr', { ...SERIES, modelVersion: '2' }); // 18 of 30
    await engine.evaluate(T0 + 10 * MINUTE);
    const byName = Object.fromEntries(engine.alerts().map((a) => [a.rule.name, a.status]));
    expect(byName['iris-accuracy']!.samples).toBe(600);
    expect(byName['iris-accuracy']!.value).toBeCloseTo(0.75, 12);
    expect(byName['v2-only']!.samples).toBe(300);
    expect(byName['v2-only']!.value).toBeCloseTo(0.6, 12);
  });

  it('keeps rules and a firing alert across a restart: no second FIRING, the RESOLVED names the first firing', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0 });
    feed(0, 10, 50, 0.5);
    await engine.evaluate(T0 + 10 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing']);

    await store.close();
    store = await SqliteMetricsStore.open({ file });
    const restarted = await newEngine();
    expect(restarted.listRules(0, '').rules.map((r) => r.name)).toEqual(['iris-accuracy']);
    expect(restarted.alerts()[0]!.status).toMatchObject({ state: 'firing', firingSinceMs: T0 + 10 * MINUTE });
    await restarted.evaluate(T0 + 11 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing']);
    feed(11, 22, 50, 0.96);
    await restarted.evaluate(T0 + 22 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing', 'resolved']);
    expect(events[1]!.firingMs).toBe(T0 + 10 * MINUTE);
  });

  it('deleting a rule resolves its firing alert and forgets it; an unknown rule is NOT_FOUND', async () => {
    const engine = await newEngine();
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0 });
    feed(0, 10, 50, 0.5);
    await engine.evaluate(T0 + 10 * MINUTE);
    await engine.deleteRule('iris-accuracy', T0 + 11 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing', 'resolved']);
    expect(engine.alerts()).toEqual([]);
    await expect(engine.deleteRule('iris-accuracy', T0)).rejects.toThrow(NotFoundError);
    await expect(engine.deleteRule('iris-accuracy', T0)).rejects.toThrow(
      'name: no alert rule named "iris-accuracy"',
    );
    const reloaded = await newEngine();
    expect(reloaded.listRules(0, '').rules).toEqual([]);
  });

  it('reads flushed buckets through `persisted` and unflushed ones from the windows alike', async () => {
    const stored: PersistedBucket[] = [];
    const engine = await newEngine(
      windowAlertReadings({
        windows,
        store,
        catalog,
        persisted: async (series, segment) =>
          stored.filter((b) => b.seriesKey === encodeWindowKey(series, segment)),
      }),
    );
    await engine.putRule({ ...ACCURACY_RULE, forMs: 0 });
    feed(0, 5, 50, 0.96);
    await engine.evaluate(T0 + 10 * MINUTE);
    const before = engine.alerts()[0]!.status;
    // The store takes the changes: the windows no longer hold them.
    stored.push(...windows.takeDirty());
    feed(5, 10, 50, 0.5);
    await engine.evaluate(T0 + 10 * MINUTE);
    const after = engine.alerts()[0]!.status;
    expect(before).toMatchObject({ samples: 250, state: 'inactive' });
    expect(after.samples).toBe(500);
    expect(after.value).toBeCloseTo((250 * 0.96 + 125) / 500, 12);
    expect(after.state).toBe('firing');
    expect(events.map((e) => [e.transition, e.samples])).toEqual([['firing', 500]]);
  });

  it('PENDING_FEEDBACK reads the store’s held feedback for the model', async () => {
    const engine = await newEngine();
    await engine.putRule({
      name: 'held',
      series: { modelName: 'iris' },
      metric: 'pending_feedback',
      comparison: 'ge',
      threshold: 3,
    });
    const feedback = (i: number) => ({
      requestId: `unknown-${i}`,
      modelName: 'iris',
      row: 0,
      truth: { kind: 'label' as const, label: 'a' },
      observedMs: T0,
      receivedMs: T0,
    });
    await store.recordFeedback([feedback(0), feedback(1)], T0);
    await engine.evaluate(T0 + MINUTE);
    expect(engine.alerts()[0]!.status).toMatchObject({ state: 'inactive', value: 2 });
    await store.recordFeedback([feedback(2)], T0);
    await engine.evaluate(T0 + 2 * MINUTE);
    expect(engine.alerts()[0]!.status).toMatchObject({ state: 'firing', value: 3 });
  });

  it('EXPIRED_FEEDBACK counts the expiries within the window; CONCEPT_DRIFT_STATE takes the highest state', async () => {
    let expiredTotal = 0;
    let drift: Array<Record<string, 'stable' | 'warning' | 'drift'>> = [{ ddm: 'stable', adwin: 'warning' }];
    const readings: AlertReadings = {
      windowMetrics: async () => undefined,
      segmentValues: async () => [],
      pendingFeedback: async () => 0,
      expiredFeedbackTotal: async () => expiredTotal,
      conceptDrift: async () => ({ states: drift, pairsSeen: 500 }),
    };
    const engine = await newEngine(readings);
    await engine.putRule({
      name: 'expired',
      series: { modelName: 'iris' },
      metric: 'expired_feedback',
      comparison: 'gt',
      threshold: 5,
      windowMs: 5 * MINUTE,
    });
    await engine.putRule({
      name: 'drift',
      series: { modelName: 'iris' },
      metric: 'concept_drift_state',
      comparison: 'ge',
      threshold: 2,
    });
    await engine.putRule({
      name: 'adwin-warning',
      series: { modelName: 'iris' },
      metric: 'concept_drift_state',
      comparison: 'ge',
      threshold: 1,
      conceptDriftDetector: 'adwin',
    });
    const value = (name: string) => engine.alerts().find((a) => a.rule.name === name)!.status;
    expiredTotal = 100; // expired before this process started: not in any window
    await engine.evaluate(T0);
    expect(value('expired').value).toBe(0);
    expiredTotal = 104;
    await engine.evaluate(T0 + 2 * MINUTE);
    expect(value('expired')).toMatchObject({ value: 4, state: 'inactive' });
    expiredTotal = 110;
    await engine.evaluate(T0 + 4 * MINUTE);
    expect(value('expired')).toMatchObject({ value: 10, state: 'firing' });
    await engine.evaluate(T0 + 9 * MINUTE); // the window [4, 9) saw no new expiry
    expect(value('expired')).toMatchObject({ value: 0, state: 'inactive' });
    expect(value('drift')).toMatchObject({ value: 1, state: 'inactive' });
    expect(value('adwin-warning')).toMatchObject({ value: 1, state: 'firing' });
    drift = [{ ddm: 'drift' }, { adwin: 'stable' }];
    await engine.evaluate(T0 + 10 * MINUTE);
    expect(value('drift')).toMatchObject({ value: 2, state: 'firing' });
    expect(value('adwin-warning')).toMatchObject({ value: 0, state: 'inactive' });
  });

  it('pages rules and alerts, firing first, and bounds page sizes and rule counts', async () => {
    const engine = new AlertEngine({
      store,
      readings: windowAlertReadings({ windows, store, catalog }),
      sink: { emit: (event) => void events.push(event) },
      limits: LIMITS,
      options: resolveAlertOptions({ maxRules: 3 }),
    });
    for (const name of ['c', 'a', 'b'])
      await engine.putRule({ ...ACCURACY_RULE, name, forMs: 0, threshold: name === 'c' ? 0.8 : 0.1 });
    await expect(engine.putRule({ ...ACCURACY_RULE, name: 'd' })).rejects.toThrow(/--max-alert-rules/);
    expect((await engine.putRule({ ...ACCURACY_RULE, name: 'a', threshold: 0.2 })).created).toBe(false);
    const first = engine.listRules(2, '');
    expect(first.rules.map((r) => r.name)).toEqual(['a', 'b']);
    expect(engine.listRules(2, first.nextPageToken)).toMatchObject({ nextPageToken: '' });
    expect(() => engine.listRules(1001, '')).toThrow('page_size: must be at most 1000, got 1001');
    feed(0, 10, 50, 0.5);
    await engine.evaluate(T0 + 10 * MINUTE);
    expect(engine.listAlerts({ pageSize: 0, pageToken: '' }).alerts.map((a) => a.rule.name)).toEqual([
      'c',
      'a',
      'b',
    ]);
    expect(engine.listAlerts({ states: ['inactive'], pageSize: 1, pageToken: '' })).toMatchObject({
      nextPageToken: '1',
    });
    expect(engine.listAlerts({ modelName: 'other', pageSize: 0, pageToken: '' }).alerts).toEqual([]);
    expect(() => engine.listAlerts({ pageSize: 0, pageToken: 'x' })).toThrow(/page_token/);
  });
});
