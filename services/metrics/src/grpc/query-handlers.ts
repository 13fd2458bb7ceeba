/**
 * The gRPC adapter of MetricsService's query RPCs (ComputeMetrics, ListConceptDrift,
 * CompareVersions): convert the message, make one domain call, convert the answer. GetMetrics
 * is the integrator's (it reuses src/contract/metric-messages.ts).
 */
import type { metricsV1 } from '@sightline/contracts';
import { type CallKit, decoded, unary } from '@sightline/service-kit';
import { comparisonFromMessage, comparisonToMessage } from '../contract/comparison-messages.js';
import { computedToMessage, computeInputFromMessage } from '../contract/compute-messages.js';
import { driftPageToMessage, driftQueryFromMessage } from '../contract/concept-drift-messages.js';
import { computeMetrics } from '../queries/compute-metrics.js';
import { type ConceptDriftDeps, listConceptDrift } from '../queries/concept-drift-listing.js';
import type { QueryOptions } from '../queries/query-options.js';
import type { SeriesCatalog } from '../queries/series-catalog.js';
import { type ComparisonDeps, compareSeries } from '../queries/version-comparison.js';

const SERVICE = 'sightline.metrics.v1.MetricsService';

/** What the query handlers read. */
export interface QueryDeps {
  readonly store: ComparisonDeps['store'];
  /** NOT_FOUND checks; `storeSeriesCatalog(store)` unless the service has a cheaper one. */
  readonly catalog: SeriesCatalog;
  readonly windows: ConceptDriftDeps['windows'];
  /** Fed by the data plane with every pair's concept-drift changes. */
  readonly driftChanges: ConceptDriftDeps['changes'];
  readonly pageTokens: ConceptDriftDeps['tokens'];
  /** The configured --segment names. */
  readonly segmentNames: readonly string[];
  /** The retention: the longest trailing window. */
  readonly retentionMs: number;
  readonly options: QueryOptions;
  readonly now: () => number;
}

export function queryHandlers(
  kit: CallKit,
  deps: QueryDeps,
): Pick<metricsV1.MetricsServiceServer, 'computeMetrics' | 'listConceptDrift' | 'compareVersions'> {
  const m = (name: string) => `${SERVICE}/${name}`;
  return {
    computeMetrics: unary(kit, m('ComputeMetrics'), async (message: metricsV1.ComputeMetricsRequest) =>
      computedToMessage(
        computeMetrics(computeInputFromMessage(decoded(message, 'ComputeMetricsRequest')), deps.options),
      ),
    ),
    listConceptDrift: unary(kit, m('ListConceptDrift'), async (message: metricsV1.ListConceptDriftRequest) =>
      driftPageToMessage(
        await listConceptDrift(driftQueryFromMessage(decoded(message, 'ListConceptDriftRequest')), {
          windows: deps.windows,
          catalog: deps.catalog,
          changes: deps.driftChanges,
          tokens: deps.pageTokens,
        }),
      ),
    ),
    compareVersions: unary(kit, m('CompareVersions'), async (message: metricsV1.CompareVersionsRequest) => {
      const request = comparisonFromMessage(
        decoded(message, 'CompareVersionsRequest'),
        deps.now(),
        deps.retentionMs,
      );
      const result = await compareSeries(request, {
        store: deps.store,
        catalog: deps.catalog,
        segmentNames: deps.segmentNames,
        limits: deps.options,
      });
      return comparisonToMessage(result, request);
    }),
  };
}
