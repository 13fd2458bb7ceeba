import type { PairedComparison } from '../paired-comparison.js';
import { pointAt, type SetupResult } from '../suites/setup-result.js';

/** The targets, each a named constant. */
export const TARGETS = {
  /** Iris served throughput over the floor's at concurrency 64: at least this. */
  irisThroughputVsFloorMin: 0.9,
  /** Iris served p50 minus the floor's at concurrency 1, in ms: at most this. */
  irisAddedP50MaxMs: 0.1,
  /** Convnet throughput, batching on over off, at concurrency 64: at least this. */
  convnetBatchingGainMin: 2,
  /** Convnet served (batching on, c=64) over the in-process batch-1 loop: at least this. */
  convnetServedVsInProcessMin: 1,
  /** Model-server resident memory with the examples loaded, in bytes: below this. */
  modelServerRssMaxBytes: 250 * 1024 * 1024,
} as const;

/** The concurrencies the ratios are defined at. */
export const HIGH_CONCURRENCY = 64;
export const LOW_CONCURRENCY = 1;

/** One target checked. `value` is undefined when a setup it needs did not run. */
export interface RatioCheck {
  readonly name: string;
  readonly value: number | undefined;
  readonly unit: 'x' | 'ms' | 's' | 'MB' | 'events/s' | 'joins/s' | 'windows';
  readonly comparison: '>=' | '<=' | '<';
  readonly target: number;
  readonly verdict: 'PASS' | 'FAIL' | 'SKIPPED';
}

/**
 * Computes every target of the model-server suite. The iris targets come from the paired
 * floor/iris comparisons (median over alternating rounds) where they ran, else from the
 * single points of the main table.
 */
export function modelServerRatios(
  setups: readonly SetupResult[],
  paired: readonly PairedComparison[] = [],
): RatioCheck[] {
  const byId = new Map(setups.map((s) => [s.id, s]));
  const thr = (id: string, c: number) => pointAt(byId.get(id), c)?.throughputPerSec;
  const p50 = (id: string, c: number) => pointAt(byId.get(id), c)?.latency.p50Ms;
  const pairedAt = (c: number) => paired.find((p) => p.id === 'floor-vs-iris' && p.concurrency === c);
  const how = (c: number) => {
    const p = pairedAt(c);
    return p ? ` (median of ${p.rounds} paired rounds)` : '';
  };
  const low = pairedAt(LOW_CONCURRENCY);
  const high = pairedAt(HIGH_CONCURRENCY);
  const rss = byId.get('iris-served')?.memory?.readyRssBytes;
  return [
    check(
      `iris served / floor throughput, c=${HIGH_CONCURRENCY}${how(HIGH_CONCURRENCY)}`,
      high
        ? high.throughputRatio
        : ratio(thr('iris-served', HIGH_CONCURRENCY), thr('floor', HIGH_CONCURRENCY)),
      'x',
      '>=',
      TARGETS.irisThroughputVsFloorMin,
    ),
    check(
      `iris served p50 added over floor, c=${LOW_CONCURRENCY}${how(LOW_CONCURRENCY)}`,
      low ? low.p50AddedMs : diff(p50('iris-served', LOW_CONCURRENCY), p50('floor', LOW_CONCURRENCY)),
      'ms',
      '<=',
      TARGETS.irisAddedP50MaxMs,
    ),
    check(
      `convnet batching on / off throughput, c=${HIGH_CONCURRENCY}`,
      ratio(thr('convnet-batching-on', HIGH_CONCURRENCY), thr('convnet-batching-off', HIGH_CONCURRENCY)),
      'x',
      '>=',
      TARGETS.convnetBatchingGainMin,
    ),
    check(
      `convnet batching on (c=${HIGH_CONCURRENCY}) / in-process batch-1 loop (c=${LOW_CONCURRENCY})`,
      ratio(thr('convnet-batching-on', HIGH_CONCURRENCY), thr('convnet-in-process', LOW_CONCURRENCY)),
      'x',
      '>=',
      TARGETS.convnetServedVsInProcessMin,
    ),
    // "With the examples loaded": the server once ready. Under load V8 grows its heap with
    // garbage before collecting it; that figure is in the memory line above the targets.
    check(
      'model-server RSS, examples loaded, at ready',
      rss === undefined || rss === 0 ? undefined : rss / (1024 * 1024),
      'MB',
      '<',
      TARGETS.modelServerRssMaxBytes / (1024 * 1024),
    ),
  ];
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) ? undefined : a / b;
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) ? undefined : a - b;
}

/** Checks `value` against `target`; SKIPPED when the value is missing. */
export function check(
  name: string,
  value: number | undefined,
  unit: RatioCheck['unit'],
  comparison: RatioCheck['comparison'],
  target: number,
): RatioCheck {
  let verdict: RatioCheck['verdict'] = 'SKIPPED';
  if (value !== undefined) {
    const ok = comparison === '>=' ? value >= target : comparison === '<=' ? value <= target : value < target;
    verdict = ok ? 'PASS' : 'FAIL';
  }
  return { name, value, unit, comparison, target, verdict };
}
