import type { PairedComparison } from '../paired-comparison.js';
import type { EventsBenchResult } from '../suites/events-file-store-bench.js';
import { pointAt, type SetupResult } from '../suites/setup-result.js';
import { check, type RatioCheck } from './ratios.js';

/** The router suite's setup ids, as its ratios read them. */
export const ROUTER_SETUP_IDS = {
  direct: 'direct',
  proxy: 'proxy',
  router1: 'router-1-hop',
  router2: 'router-2-hop',
  router3: 'router-3-hop',
  router1EventsOff: 'router-1-hop-events-off',
} as const;

/** Issue 3's targets, each a named constant. */
export const ROUTER_TARGETS = {
  /** Router 1-hop p50 over the pass-through proxy's p50: at most this. */
  routerP50VsProxyMax: 1.15,
  /** Router 1-hop throughput over the proxy's: at least this. */
  routerThroughputVsProxyMin: 0.85,
  /** Router 1-hop p50 with events into the file store over without: at most this (5% cost). */
  eventsP50CostMax: 1.05,
  /** Router 1-hop throughput with events over without: at least this (5% cost). */
  eventsThroughputMin: 0.95,
  /** Events/s drained through the event pipeline into the file store: at least this. */
  eventsPipelineMinPerSec: 20_000,
} as const;

/** Concurrencies the router figures are defined at. */
export const ROUTER_LOW_CONCURRENCY = 1;
export const ROUTER_HIGH_CONCURRENCY = 32;

/** The latency one hop adds, at one concurrency; undefined where a setup did not run. */
export interface HopCost {
  readonly hop: string;
  readonly concurrency: number;
  readonly addedP50Ms: number | undefined;
  readonly addedP99Ms: number | undefined;
  /** Added p50 over the proxy hop's added p50 at the same concurrency (proxy rows: 1). */
  readonly vsProxyHop: number | undefined;
}

/**
 * The latency each hop adds, from the setups' percentiles: the proxy's hop (proxy minus
 * direct), the router's first hop (1-hop graph minus direct, events on and off), and each
 * extra sequential hop ((3-hop minus 1-hop) / 2, and 2-hop minus 1-hop). Differences of
 * percentiles, so read them as the typical added cost, not a per-request distribution.
 */
export function routerHopCosts(setups: readonly SetupResult[], concurrencies: readonly number[]): HopCost[] {
  const byId = new Map(setups.map((s) => [s.id, s]));
  const at = (id: string, c: number) => pointAt(byId.get(id), c)?.latency;
  const ids = ROUTER_SETUP_IDS;
  const rows: HopCost[] = [];
  for (const c of concurrencies) {
    const added = (
      hop: string,
      minuend: string,
      subtrahend: string,
      hops: number,
    ): { hop: string; p50: number | undefined; p99: number | undefined } => {
      const a = at(minuend, c);
      const b = at(subtrahend, c);
      return {
        hop,
        p50: a && b ? (a.p50Ms - b.p50Ms) / hops : undefined,
        p99: a && b ? (a.p99Ms - b.p99Ms) / hops : undefined,
      };
    };
    const proxy = added('proxy hop (proxy - direct)', ids.proxy, ids.direct, 1);
    const hops = [
      proxy,
      added('router 1st hop (1-hop - direct)', ids.router1, ids.direct, 1),
      added('router 1st hop, events off (1-hop off - direct)', ids.router1EventsOff, ids.direct, 1),
      added('router 2nd hop (2-hop - 1-hop)', ids.router2, ids.router1, 1),
      added('router each extra hop ((3-hop - 1-hop) / 2)', ids.router3, ids.router1, 2),
    ];
    for (const h of hops) {
      rows.push({
        hop: h.hop,
        concurrency: c,
        addedP50Ms: h.p50,
        addedP99Ms: h.p99,
        vsProxyHop:
          h.p50 !== undefined && proxy.p50 !== undefined && proxy.p50 > 0 ? h.p50 / proxy.p50 : undefined,
      });
    }
  }
  return rows;
}

/**
 * Computes every target of the router suite from its setups and the events benchmark. The
 * router-vs-proxy and events-on-vs-off targets come from the paired comparisons (median
 * over alternating rounds) where they ran, else from the single points of the main table.
 */
export function routerRatios(
  setups: readonly SetupResult[],
  eventsBench: EventsBenchResult | undefined,
  paired: readonly PairedComparison[] = [],
): RatioCheck[] {
  const byId = new Map(setups.map((s) => [s.id, s]));
  const thr = (id: string, c: number) => pointAt(byId.get(id), c)?.throughputPerSec;
  const p50 = (id: string, c: number) => pointAt(byId.get(id), c)?.latency.p50Ms;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || !(b > 0) ? undefined : a / b;
  const pairOf = (id: string, c: number) => paired.find((p) => p.id === id && p.concurrency === c);
  const how = (id: string, c: number) => {
    const p = pairOf(id, c);
    return p ? ` (median of ${p.rounds} paired rounds)` : '';
  };
  /** Candidate over baseline: the paired median, else the single points' ratio. */
  const figure = (
    pairId: string,
    c: number,
    kind: 'p50' | 'throughput',
    candidate: string,
    baseline: string,
  ): number | undefined => {
    const p = pairOf(pairId, c);
    if (p) return kind === 'p50' ? p.p50Ratio : p.throughputRatio;
    return kind === 'p50'
      ? ratio(p50(candidate, c), p50(baseline, c))
      : ratio(thr(candidate, c), thr(baseline, c));
  };
  const ids = ROUTER_SETUP_IDS;
  const vsProxy = 'proxy-vs-router-1-hop';
  const events = 'router-1-hop-events-off-vs-on';
  const low = ROUTER_LOW_CONCURRENCY;
  const high = ROUTER_HIGH_CONCURRENCY;
  const t = ROUTER_TARGETS;
  return [
    check(
      `router 1-hop / proxy p50, c=${low}${how(vsProxy, low)}`,
      figure(vsProxy, low, 'p50', ids.router1, ids.proxy),
      'x',
      '<=',
      t.routerP50VsProxyMax,
    ),
    check(
      `router 1-hop / proxy p50, c=${high}${how(vsProxy, high)}`,
      figure(vsProxy, high, 'p50', ids.router1, ids.proxy),
      'x',
      '<=',
      t.routerP50VsProxyMax,
    ),
    // At c=1 throughput is the inverse of the mean latency, already held by the p50 target.
    check(
      `router 1-hop / proxy throughput, c=${high}${how(vsProxy, high)}`,
      figure(vsProxy, high, 'throughput', ids.router1, ids.proxy),
      'x',
      '>=',
      t.routerThroughputVsProxyMin,
    ),
    check(
      `router 1-hop p50, events on / off, c=${low}${how(events, low)}`,
      figure(events, low, 'p50', ids.router1, ids.router1EventsOff),
      'x',
      '<=',
      t.eventsP50CostMax,
    ),
    check(
      `router 1-hop p50, events on / off, c=${high}${how(events, high)}`,
      figure(events, high, 'p50', ids.router1, ids.router1EventsOff),
      'x',
      '<=',
      t.eventsP50CostMax,
    ),
    check(
      `router 1-hop throughput, events on / off, c=${high}${how(events, high)}`,
      figure(events, high, 'throughput', ids.router1, ids.router1EventsOff),
      'x',
      '>=',
      t.eventsThroughputMin,
    ),
    check(
      'events pipeline -> file store (libs/events bench), drained',
      eventsBench?.pipelineEventsPerSec,
      'events/s',
      '>=',
      t.eventsPipelineMinPerSec,
    ),
  ];
}
