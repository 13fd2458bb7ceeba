/** The query handlers over a real grpc-js server on 127.0.0.1, fed by a real SQLite store and MetricWindows. */
import { credentials, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { type CallKit, GrpcServerMetrics, tolerantDefinition } from '@sightline/service-kit';
import { silentLogger, unaryCaller } from '@sightline/service-kit/testing';
import { createMetricsRegistry, createTracing } from '@sightline/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesKey } from '../../src/domain/records.js';
import { queryHandlers } from '../../src/grpc/query-handlers.js';
import { ConceptDriftChangeLog } from '../../src/queries/concept-drift-changes.js';
import { PageTokens } from '../../src/queries/page-token.js';
import { DEFAULT_QUERY_OPTIONS } from '../../src/queries/query-options.js';
import { storeSeriesCatalog } from '../../src/queries/series-catalog.js';
import { MetricWindows } from '../../src/windows/metric-windows.js';
import { classPair, classRecord } from '../window-records.js';
import { feedRequests, openTempStore, type TempStore } from './comparison-store.js';

const NOW = 1_000_000;
let temp: TempStore;
let server: Server;
let raw: metricsV1.MetricsServiceClient;
let call: ReturnType<typeof unaryCaller>;
const windows = new MetricWindows();
const changes = new ConceptDriftChangeLog();

/** Feeds MetricWindows (and the change log) a series' pairs: right ones first, then wrong ones (drift). */
function feedWindows(series: SeriesKey, right: number, wrong: number, offset: number): void {
  for (let i = 0; i < right + wrong; i++) {
    const row = { predicted: 0, truth: i < right ? 0 : 1, minute: 0 };
    windows.addPrediction(classRecord(row, offset + i, series));
    changes.record(windows.addPair(classPair(row, offset + i, 1_000 + i, series)).conceptDrift);
  }
}

const error = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the call succeeded'),
    (e: ServiceError) => e,
  );

beforeAll(async () => {
  temp = await openTempStore();
  await feedRequests(
    temp.store,
    Array.from({ length: 600 }, (_, i) => ({
      truth: 'setosa',
      baseline: i % 10 < 6 ? 'setosa' : 'versicolor',
      candidate: i % 10 < 9 ? 'setosa' : 'versicolor',
    })),
  );
  // iris v1, v2 and node "shadow" for the drift listing (the store knows model iris).
  feedWindows({ modelName: 'iris', modelVersion: '1', node: '' }, 400, 200, 0);
  feedWindows({ modelName: 'iris', modelVersion: '2', node: '' }, 50, 0, 10_000);
  feedWindows({ modelName: 'iris', modelVersion: '2', node: 'shadow' }, 50, 0, 20_000);
  feedWindows({ modelName: 'wine', modelVersion: '', node: '' }, 50, 0, 30_000);
  const registry = createMetricsRegistry({ serviceName: 'metrics-queries-test', collectDefaults: false });
  const kit: CallKit = {
    tracer: createTracing({ serviceName: 'metrics-queries-test', env: {} }).tracer,
    logger: silentLogger(),
    metrics: new GrpcServerMetrics(registry),
    traced: false,
  };
  server = new Server();
  server.addService(
    tolerantDefinition(metricsV1.MetricsServiceService),
    queryHandlers(kit, {
      store: temp.store,
      catalog: storeSeriesCatalog(temp.store),
      windows,
      driftChanges: changes,
      pageTokens: new PageTokens(),
      segmentNames: ['country'],
      retentionMs: 7 * 86_400_000,
      options: { ...DEFAULT_QUERY_OPTIONS, maxComputePairs: 1000 },
      now: () => NOW,
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  raw = new metricsV1.MetricsServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  call = unaryCaller(raw);
});

afterAll(async () => {
  raw?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await temp?.cleanup();
});

const compute = (request: metricsV1.DeepPartial<metricsV1.ComputeMetricsRequest>) =>
  call<metricsV1.ComputeMetricsRequest, metricsV1.ComputeMetricsResponse>(
    'computeMetrics',
    metricsV1.ComputeMetricsRequest,
  )(request);
const compare = (request: metricsV1.DeepPartial<metricsV1.CompareVersionsRequest>) =>
  call<metricsV1.CompareVersionsRequest, metricsV1.CompareVersionsResponse>(
    'compareVersions',
    metricsV1.CompareVersionsRequest,
  )(request);
const drift = (request: metricsV1.DeepPartial<metricsV1.ListConceptDriftRequest>) =>
  call<metricsV1.ListConceptDriftRequest, metricsV1.ListConceptDriftResponse>(
    'listConceptDrift',
    metricsV1.ListConceptDriftRequest,
  )(request);

describe('ComputeMetrics over gRPC', () => {
  it('answers classification metrics with exact ROC AUC', async () => {
    const res = await compute({
      classification: {
        yTrue: ['1', '0', '1', '0'],
        yPred: ['1', '0', '0', '0'],
        integerLabels: true,
        classes: ['0', '1'],
        probabilities: [0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7],
      },
    });
    expect(res.classes).toEqual(['0', '1']);
    expect(res.classification?.accuracy?.value).toBe(0.75);
    expect(res.classification?.confusionMatrix).toEqual([2n, 0n, 1n, 1n]);
    // Class 1 scores: the positives (rows 0, 2) 0.1 and 0.4, the negatives 0.2 and 0.7; one of 4 pairs ranks right.
    expect(res.classification?.rocAuc?.binary).toBe(0.25);
    expect(res.classification?.rocAuc?.maxError).toBe(0);
  });

  it('maps bad input to INVALID_ARGUMENT and the pair limit to RESOURCE_EXHAUSTED', async () => {
    const none = await error(compute({}));
    expect(none.code).toBe(status.INVALID_ARGUMENT);
    expect(none.details).toMatch(/rule "data.set"/);
    const big = await error(
      compute({ regression: { yTrue: new Array(1001).fill(1), yPred: new Array(1001).fill(1) } }),
    );
    expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(big.details).toMatch(/--max-compute-pairs \(1000\)/);
  });
});

describe('CompareVersions over gRPC', () => {
  const series = (version: string) => ({ modelName: 'iris', modelVersion: version, node: '' });

  it('finds the better candidate over a trailing window and resolves the range', async () => {
    const res = await compare({
      baseline: series('1'),
      candidate: series('2'),
      trailing: { seconds: 3600n },
    });
    expect(res.verdict).toBe(metricsV1.ComparisonVerdict.COMPARISON_VERDICT_BETTER);
    expect(res.metric).toBe(metricsV1.ComparisonMetric.COMPARISON_METRIC_ACCURACY);
    expect(res.test).toBe(metricsV1.ComparisonTest.COMPARISON_TEST_MCNEMAR_EXACT);
    expect(res.pairs).toBe(600n);
    expect(res.counts).toEqual({
      bothCorrect: 360n,
      baselineOnlyCorrect: 0n,
      candidateOnlyCorrect: 180n,
      bothWrong: 60n,
    });
    expect(res.difference?.interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_NEWCOMBE_PAIRED);
    expect(res.difference?.value).toBeCloseTo(0.3, 12);
    expect(res.pairsNeeded).toBeUndefined();
    expect(res.range?.endTime?.getTime()).toBe(NOW);
    expect(res.range?.startTime?.getTime()).toBe(NOW - 3_600_000);
  });

  it('answers the contract codes of bad requests', async () => {
    const same = await error(
      compare({ baseline: series('1'), candidate: series('1'), trailing: { seconds: 60n } }),
    );
    expect([same.code, same.details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/compare.distinct/),
    ]);
    const unknown = await error(
      compare({ baseline: series('1'), candidate: series('7'), trailing: { seconds: 60n } }),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);
    const noWindow = await error(compare({ baseline: series('1'), candidate: series('2') }));
    expect(noWindow.details).toMatch(/rule "window.set"/);
    const tooLong = await error(
      compare({ baseline: series('1'), candidate: series('2'), trailing: { seconds: 8n * 86_400n } }),
    );
    expect(tooLong.details).toMatch(/^trailing: must be above 0 and at most the retention/);
  });
});

describe('ListConceptDrift over gRPC', () => {
  it('pages every detector in (model, version, node, detector) order with opaque tokens', async () => {
    const all = await drift({ pageSize: 1000 });
    const keys = all.detectors.map((d) => [
      d.series!.modelName,
      d.series!.modelVersion,
      d.series!.node,
      d.detector,
    ]);
    expect(keys).toHaveLength(12);
    expect(keys.slice(0, 3).map((k) => k[3])).toEqual([
      metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_DDM,
      metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_ADWIN,
      metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY,
    ]);
    expect(keys.map((k) => k.slice(0, 3).join('/'))).toEqual([
      ...new Array(3).fill('iris/1/'),
      ...new Array(3).fill('iris/2/'),
      ...new Array(3).fill('iris/2/shadow'),
      ...new Array(3).fill('wine//'),
    ]);
    expect(all.nextPageToken).toBe('');
    const paged: metricsV1.ConceptDriftStatus[] = [];
    let token = '';
    do {
      const page = await drift({ pageSize: 5, pageToken: token });
      expect(page.detectors.length).toBeLessThanOrEqual(5);
      paged.push(...page.detectors);
      token = page.nextPageToken;
    } while (token !== '');
    expect(paged).toEqual(all.detectors);
  });

  it('reports the states MetricWindows holds, with the last change', async () => {
    const iris1 = await drift({ series: { modelName: 'iris', modelVersion: '1' } });
    const states = windows.conceptDriftStates({ modelName: 'iris', modelVersion: '1', node: '' });
    const names = { 1: 'ddm', 2: 'adwin', 3: 'pageHinkley' } as const;
    const toState = { stable: 1, warning: 2, drift: 3 } as const;
    for (const d of iris1.detectors) {
      const name = names[d.detector as 1 | 2 | 3];
      expect(d.state).toBe(toState[states[name]!]);
      expect(d.pairsSeen).toBe(600n);
      const change = changes.last({ modelName: 'iris', modelVersion: '1', node: '' }, name);
      if (change && toState[change.to] === d.state) {
        expect(d.stateTime?.getTime()).toBe(change.timeMs);
        expect(d.previousState).toBe(toState[change.from]);
      }
    }
    // 200 wrong answers after 400 right ones: some detector has moved off STABLE.
    expect(iris1.detectors.some((d) => d.stateTime !== undefined)).toBe(true);
    const stable = await drift({
      states: [metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_STABLE],
      pageSize: 1000,
    });
    expect(
      stable.detectors.every((d) => d.state === metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_STABLE),
    ).toBe(true);
    expect(stable.detectors.length).toBeGreaterThanOrEqual(9);
  });

  it('refuses a token it did not issue or issued for another filter, an unknown model and a large page', async () => {
    const forged = await error(
      drift({ pageToken: Buffer.from('["iris","1","","0"]').toString('base64url') }),
    );
    expect([forged.code, forged.details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/^page_token: /),
    ]);
    const first = await drift({ pageSize: 2 });
    const other = await error(
      drift({ pageSize: 2, pageToken: first.nextPageToken, series: { modelName: 'iris' } }),
    );
    expect(other.code).toBe(status.INVALID_ARGUMENT);
    expect((await error(drift({ series: { modelName: 'nope' } }))).code).toBe(status.NOT_FOUND);
    expect((await error(drift({ pageSize: 1001 }))).details).toMatch(/^page_size: must be at most 1000/);
    expect((await error(drift({ series: { modelName: '', node: 'x' } }))).details).toMatch(
      /series.model_name_set/,
    );
  });
});
