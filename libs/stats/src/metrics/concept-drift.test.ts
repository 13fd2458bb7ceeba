import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { Adwin } from './adwin.js';
import { Ddm } from './ddm.js';
import type { ConceptDriftDetector } from './drift-state.js';
import { PageHinkley } from './page-hinkley.js';

/** Values per run; a planted change starts at CHANGE_AT. */
const RUN_LENGTH = 2000;
const CHANGE_AT = 1000;
/** The bar: at most 5 of 100 seeded no-change runs raise a drift anywhere. */
const MAX_FALSE_ALARM_RUNS = 5;
const RUNS = 100;

/** Error indicators: rate 0.1, rising to 0.3 at CHANGE_AT when `change`. */
function errorStream(seed: number, change: boolean): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: RUN_LENGTH }, (_, t) =>
    random.nextFloat() < (change && t >= CHANGE_AT ? 0.3 : 0.1) ? 1 : 0,
  );
}

/** Standard normal losses, the mean rising by 1 (one sd) at CHANGE_AT when `change`. */
function lossStream(seed: number, change: boolean): number[] {
  const random = seededRandom(seed);
  return Array.from(
    { length: RUN_LENGTH },
    (_, t) => random.nextNormal() + (change && t >= CHANGE_AT ? 1 : 0),
  );
}

interface Calibration {
  falseAlarmRuns: number;
  /** Change runs with a drift before the change. */
  earlyRuns: number;
  /** Delay (values after the change) of the first drift at or after it, per change run; -1 when none. */
  delays: number[];
  /** Change runs with a warning after the change and no later than the drift. */
  warnedFirst: number;
}

function calibrate(
  make: () => ConceptDriftDetector,
  stream: (seed: number, change: boolean) => number[],
): Calibration {
  let falseAlarmRuns = 0;
  let earlyRuns = 0;
  let warnedFirst = 0;
  const delays: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const quiet = make();
    if (stream(1000 + run, false).some((x) => quiet.update(x) === 'drift')) falseAlarmRuns += 1;
    const detector = make();
    let delay = -1;
    let warning = -1;
    let early = false;
    stream(5000 + run, true).forEach((x, t) => {
      const state = detector.update(x);
      if (state === 'drift' && t < CHANGE_AT) early = true;
      if (state === 'drift' && t >= CHANGE_AT && delay < 0) delay = t - CHANGE_AT;
      if (state === 'warning' && t >= CHANGE_AT && warning < 0 && delay < 0) warning = t - CHANGE_AT;
    });
    if (early) earlyRuns += 1;
    if (warning >= 0 && delay >= 0) warnedFirst += 1;
    delays.push(delay);
  }
  return { falseAlarmRuns, earlyRuns, delays, warnedFirst };
}

/** Share of change runs flagged within `bound` values of the change. */
function withinDelay(c: Calibration, bound: number): number {
  return c.delays.filter((d) => d >= 0 && d <= bound).length / c.delays.length;
}

describe('concept drift detectors: 100 seeded no-change runs and 100 planted changes of 2,000 values', () => {
  it('DDM (warm start 300, drift at 3.5 sd) on errors 0.1 -> 0.3: <= 5% false alarms, 95% flagged within 250 (measured median 113)', () => {
    const c = calibrate(() => new Ddm({ warmStart: 300, driftThreshold: 3.5 }), errorStream);
    expect(c.falseAlarmRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(c.earlyRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(withinDelay(c, 250)).toBeGreaterThanOrEqual(0.95);
    expect(c.delays.every((d) => d >= 0)).toBe(true);
    expect(c.warnedFirst).toBeGreaterThanOrEqual(90);
  });

  it("DDM with river's defaults (warm start 30) false-alarms in about half the runs at a 0.1 error rate (so a caller raises the warm start)", () => {
    const c = calibrate(() => new Ddm(), errorStream);
    expect(c.falseAlarmRuns).toBeGreaterThan(20);
  });

  it("Page-Hinkley (river's defaults) on errors 0.1 -> 0.3: no false alarms, 95% flagged within 400 (median 252)", () => {
    const c = calibrate(() => new PageHinkley(), errorStream);
    expect(c.falseAlarmRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(c.earlyRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(withinDelay(c, 400)).toBeGreaterThanOrEqual(0.95);
    expect(c.warnedFirst).toBeGreaterThanOrEqual(90);
  });

  it('Page-Hinkley (threshold 150) on standard normal losses shifted by 1 sd: <= 5% false alarms, all flagged within 200 (median 140)', () => {
    const c = calibrate(() => new PageHinkley({ threshold: 150 }), lossStream);
    expect(c.falseAlarmRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(c.earlyRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(withinDelay(c, 200)).toBe(1);
  });

  it("ADWIN (river's defaults) on errors 0.1 -> 0.3: <= 5% false alarms, 95% flagged within 250 (median 119)", () => {
    const c = calibrate(() => new Adwin(), errorStream);
    expect(c.falseAlarmRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(c.earlyRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(withinDelay(c, 250)).toBeGreaterThanOrEqual(0.95);
    expect(c.warnedFirst).toBeGreaterThanOrEqual(90);
    expect(c.delays.every((d) => d >= 0)).toBe(true);
  });

  it("ADWIN (river's defaults) on normal losses shifted by 1 sd: <= 5% false alarms, all flagged within 100 (median 55: checks every 32 values)", () => {
    const c = calibrate(() => new Adwin(), lossStream);
    expect(c.falseAlarmRuns).toBeLessThanOrEqual(MAX_FALSE_ALARM_RUNS);
    expect(withinDelay(c, 100)).toBe(1);
  });
});

describe('concept drift detectors: states and input', () => {
  it('start afresh after a drift (DDM, Page-Hinkley) and shrink the window (ADWIN)', () => {
    const ddm = new Ddm({ warmStart: 5 });
    const states = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1].map((x) => ddm.update(x));
    // p_min = s_min = 0 after ten correct values: the first error is a drift.
    expect(states.at(-1)).toBe('drift');
    expect(ddm.update(0)).toBe('stable');
    const adwin = new Adwin({ clock: 1 });
    const stream = errorStream(3, false).map((x, t) => (t >= CHANGE_AT ? 1 - x : x));
    let drifts = 0;
    for (const x of stream) if (adwin.update(x) === 'drift') drifts += 1;
    expect(drifts).toBeGreaterThan(0);
    expect(adwin.width).toBeLessThan(RUN_LENGTH - CHANGE_AT + 100);
    expect(adwin.estimation).toBeGreaterThan(0.8);
    adwin.reset();
    expect(adwin.width).toBe(0);
  });

  it('Page-Hinkley up ignores a fall that both flags', () => {
    const values = lossStream(4, false).map((x, t) => (t >= CHANGE_AT ? x - 3 : x));
    const up = new PageHinkley({ direction: 'up', threshold: 150 });
    const both = new PageHinkley({ threshold: 150 });
    expect(values.some((x) => up.update(x) === 'drift')).toBe(false);
    expect(values.some((x) => both.update(x) === 'drift')).toBe(true);
  });

  it('saved and restored mid-stream, each continues with the same states (JSON round trip)', () => {
    const stream = errorStream(9, true);
    const pairs: Array<
      [ConceptDriftDetector & { toJSON(): unknown }, (json: never) => ConceptDriftDetector]
    > = [
      [new Ddm({ warmStart: 300, driftThreshold: 3.5 }), (json) => Ddm.fromJSON(json)],
      [new PageHinkley(), (json) => PageHinkley.fromJSON(json)],
      [new Adwin(), (json) => Adwin.fromJSON(json)],
    ];
    for (const [original, restore] of pairs) {
      for (const x of stream.slice(0, 1100)) original.update(x);
      const restored = restore(JSON.parse(JSON.stringify(original)) as never);
      expect(restored.state).toBe(original.state);
      for (const x of stream.slice(1100)) expect(restored.update(x)).toBe(original.update(x));
    }
    expect(() => Ddm.fromJSON({ ...new Ddm().toJSON(), schemaVersion: 2 })).toThrow(
      /^schemaVersion: expected 1, got 2$/,
    );
  });

  it('refuses bad parameters and values naming them', () => {
    expect(() => new Ddm().update(2)).toThrow(/^error: expected 0 or 1, got 2$/);
    expect(() => new Ddm({ warningThreshold: 3, driftThreshold: 2 })).toThrow(
      /^driftThreshold: expected a number >= warningThreshold/,
    );
    expect(() => new PageHinkley({ alpha: 0 })).toThrow(/^alpha: expected a number in \(0, 1\]/);
    expect(() => new PageHinkley().update(Number.NaN)).toThrow(/^value: expected a finite number/);
    expect(() => new Adwin({ delta: 1 })).toThrow(/^delta: expected a number in \(0, 1\)/);
    expect(() => new Adwin({ clock: 0 })).toThrow(/^clock:/);
  });
});
