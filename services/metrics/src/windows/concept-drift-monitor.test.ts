import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { classPair, SERIES, T0, valuePair } from '../../test/window-records.js';
import type { JoinedPair } from '../domain/records.js';
import { type ConceptDriftChange, ConceptDriftMonitor } from './concept-drift-monitor.js';
import { MetricWindows } from './metric-windows.js';

/** Pairs per stream; a planted change starts at CHANGE_AT. */
const LENGTH = 3000;
const CHANGE_AT = 1500;

/** Classification pairs in join order, wrong with probability 0.1, then 0.4 from CHANGE_AT when `change`. */
function classStream(seed: number, change: boolean): JoinedPair[] {
  const random = seededRandom(seed);
  return Array.from({ length: LENGTH }, (_, i) => {
    const wrong = random.nextFloat() < (change && i >= CHANGE_AT ? 0.4 : 0.1);
    return classPair({ predicted: 0, truth: wrong ? 1 : 0, minute: i % 60 }, i, T0 + i * 1000);
  });
}

/** Regression pairs whose absolute error is |N(0, 0.1)|, then |N(0.5, 0.1)| from CHANGE_AT when `change`. */
function valueStream(seed: number, change: boolean): JoinedPair[] {
  const random = seededRandom(seed);
  return Array.from({ length: LENGTH }, (_, i) => {
    const error = 0.1 * random.nextNormal() + (change && i >= CHANGE_AT ? 0.5 : 0);
    return { ...valuePair({ predicted: error, truth: 0, minute: i % 60 }, i), joinedMs: T0 + i * 1000 };
  });
}

function run(windows: MetricWindows, pairs: readonly JoinedPair[]): ConceptDriftChange[] {
  return pairs.flatMap((pair) => windows.addPair(pair).conceptDrift);
}

/** Each detector's changes chain (from = the previous to, starting stable) and come in join order. */
function expectOrdered(changes: readonly ConceptDriftChange[]): void {
  const last = new Map<string, string>();
  let seen = 0;
  for (const change of changes) {
    expect(change.pairsSeen).toBeGreaterThanOrEqual(seen);
    seen = change.pairsSeen;
    expect(change.from).toBe(last.get(change.detector) ?? 'stable');
    expect(change.to).not.toBe(change.from);
    expect(change.timeMs).toBe(T0 + (change.pairsSeen - 1) * 1000);
    expect(change.series).toEqual(SERIES);
    last.set(change.detector, change.to);
  }
}

describe('concept drift per series', () => {
  it('emits every detector drifting after a planted rise in the error rate, in order, none before it', () => {
    const changes = run(new MetricWindows(), classStream(1, true));
    expectOrdered(changes);
    for (const detector of ['ddm', 'adwin', 'pageHinkley'] as const) {
      const drifts = changes.filter((c) => c.detector === detector && c.to === 'drift');
      expect(drifts.length, detector).toBeGreaterThan(0);
      expect(drifts[0]!.pairsSeen, detector).toBeGreaterThan(CHANGE_AT);
      // Documented delays of libs/stats' calibration at these rates: well inside 500 pairs.
      expect(drifts[0]!.pairsSeen - CHANGE_AT, detector).toBeLessThan(500);
    }
  });

  it('emits no drift on a stationary stream (fixed seeds)', () => {
    for (const seed of [2, 3, 4]) {
      const changes = run(new MetricWindows(), classStream(seed, false));
      expectOrdered(changes);
      // DDM's warning (2 sd) comes and goes on a stationary stream; a drift must not.
      expect(changes.filter((c) => c.to === 'drift')).toEqual([]);
      const values = run(new MetricWindows(), valueStream(seed, false));
      expect(values.filter((c) => c.to === 'drift')).toEqual([]);
    }
  });

  it('watches the absolute error of a regression series (ADWIN and Page-Hinkley; DDM needs 0/1)', () => {
    const windows = new MetricWindows({ conceptDrift: { pageHinkley: { threshold: 5 } } });
    const changes = run(windows, valueStream(5, true));
    expectOrdered(changes);
    expect(new Set(changes.map((c) => c.detector))).toEqual(new Set(['adwin', 'pageHinkley']));
    for (const detector of ['adwin', 'pageHinkley']) {
      const first = changes.find((c) => c.detector === detector && c.to === 'drift');
      expect(first!.pairsSeen, detector).toBeGreaterThan(CHANGE_AT);
    }
    expect(Object.keys(windows.conceptDriftStates(SERIES)).sort()).toEqual(['adwin', 'pageHinkley']);
  });

  it('runs only the configured detectors', () => {
    const changes = run(new MetricWindows({ conceptDrift: { detectors: ['ddm'] } }), classStream(1, true));
    expect(new Set(changes.map((c) => c.detector))).toEqual(new Set(['ddm']));
    expect(run(new MetricWindows({ conceptDrift: false }), classStream(1, true))).toEqual([]);
  });

  it('resumes after a restart from the saved detector state exactly', () => {
    const pairs = classStream(1, true);
    const uninterrupted = run(new MetricWindows(), pairs);
    const first = new MetricWindows();
    const before = run(first, pairs.slice(0, 1600));
    const saved = JSON.parse(JSON.stringify(first.conceptDriftState()));
    const second = new MetricWindows();
    second.restoreConceptDrift(saved);
    const after = run(second, pairs.slice(1600));
    expect([...before, ...after]).toEqual(uninterrupted);
  });

  it('refuses a bad saved state naming the field', () => {
    const monitor = ConceptDriftMonitor.create(SERIES, 'classification', {
      detectors: ['ddm'],
      ddm: {},
      adwin: {},
      pageHinkley: {},
    });
    const json = monitor.toJSON();
    expect(() => ConceptDriftMonitor.fromJSON({ ...json, schemaVersion: 3 })).toThrow(
      /^schemaVersion: expected 1, got 3$/,
    );
    expect(() =>
      ConceptDriftMonitor.fromJSON({
        ...json,
        detectors: { ddm: { ...json.detectors.ddm!, schemaVersion: 7 } },
      }),
    ).toThrow(/^detectors\.ddm\.schemaVersion: expected 1, got 7$/);
    expect(() => new MetricWindows().restoreConceptDrift([{ ...json, pairsSeen: -2 }])).toThrow(
      /^conceptDrift\[0\]\.pairsSeen: expected an integer >= 0, got -2$/,
    );
  });
});
