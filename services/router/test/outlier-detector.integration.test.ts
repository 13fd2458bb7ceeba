/**
 * The detector node end to end against the real outlier service (issue 11, "Where it
 * runs"): a model-server and an outlier service as child processes (`sightline serve ...`),
 * an Isolation Forest fitted on examples/data/iris.csv with its threshold at the
 * reference's 95th percentile, and the router in process. Checked: a sync detector node adds
 * the verdict to the response for an inlier and an outlier; a switch after it sends outliers
 * to a fallback model; a soft detector that times out (the service frozen with SIGSTOP) or is
 * down never fails the prediction and adds no verdict, while a hard one fails the call with
 * DEADLINE_EXCEEDED or UNAVAILABLE naming the node; the service's own refusal (a detector not
 * fitted) reaches the caller with its status.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { outlierV1, type routerV1 } from '@sightline/contracts';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfigSchema } from '../src/config.js';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, REPO_ROOT, startChildService } from './helpers/child-service.js';
import { call, graphClient, inferenceClient, irisRequest, param } from './helpers/v2-calls.js';

const DETECTOR = 'iris-od';
/** A detector created and never fitted: Predict answers FAILED_PRECONDITION. */
const UNFITTED = 'iris-unfitted';
/** The detector node's per-attempt time limit in the timeout graphs. */
const DETECTOR_TIMEOUT_MS = 300;
/** A setosa flower near its class's mean: inside the reference. */
const INLIER = [5.0, 3.4, 1.5, 0.2];
/** Far outside every class. */
const OUTLIER = [30, -10, 25, 40];

let modelServer: ChildService;
let outlier: ChildService;
let outlierClient: outlierV1.OutlierServiceClient;
let router: RouterHandle;
let client: ReturnType<typeof inferenceClient>;
let graphs: ReturnType<typeof graphClient>;
let dataDir: string;
let threshold: number;

/** A unary OutlierService call as a promise. */
function outlierCall<Req, Res>(method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (outlierClient as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(
      outlierClient,
    );
    fn(request, new Metadata(), { deadline: Date.now() + 30_000 }, (error: ServiceError | null, r: Res) =>
      error ? reject(error) : resolve(r),
    );
  });
}

/** The iris reference rows (the label column left out), row-major. */
function irisReference(): Float32Array {
  const lines = readFileSync(path.join(REPO_ROOT, 'examples/data/iris.csv'), 'utf8').trim().split('\n');
  return Float32Array.from(lines.slice(1).flatMap((line) => line.split(',').slice(0, 4).map(Number)));
}

/** The router's count of outlier Predicts sent for the detector, and of the calls they carried. */
async function coalescedPredicts(): Promise<{ predicts: number; calls: number }> {
  const metric = await router.registry.getSingleMetric('sightline_router_detector_coalesced_calls')!.get();
  const of = (name: string) =>
    (metric.values as { metricName?: string; labels: { detector?: string | number }; value: number }[]).find(
      (v) => v.metricName === name && v.labels.detector === DETECTOR,
    )?.value ?? 0;
  return {
    predicts: of('sightline_router_detector_coalesced_calls_count'),
    calls: of('sightline_router_detector_coalesced_calls_sum'),
  };
}

const apply = (text: string): Promise<routerV1.ApplyGraphResponse> =>
  call(graphs, graphs.applyGraph, { document: { format: 0, text } });

const infer = (graph: string, row: number[]) => call(client, client.modelInfer, irisRequest(graph, [row]));

/** A graph of one detector node (policy as given) in front of the iris model. */
function checkedGraph(name: string, policy: string, detector = DETECTOR): string {
  return `
name: ${name}
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: od }, { node: iris }] }
  - name: od
    policy: ${policy}
    detector: { kind: outlier, detector: ${detector}, mode: sync, addVerdictToResponse: true }
  - name: iris
    model: { modelName: iris }
`;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-outlier-'));
  [modelServer, outlier] = await Promise.all([
    startChildService('model-server', ['--repository', 'examples/models']),
    startChildService('outlier', ['--data-dir', path.join(dataDir, 'outlier')]),
  ]);
  outlierClient = new outlierV1.OutlierServiceClient(outlier.address, credentials.createInsecure());
  await outlierCall(
    'createDetector',
    outlierV1.CreateDetectorRequest.fromPartial({
      name: DETECTOR,
      config: { iforest: { nEstimators: 100, seed: 7n }, thresholdPercentile: 95 },
    }),
  );
  const reference = irisReference();
  const fitted = await outlierCall<outlierV1.FitRequest, outlierV1.FitResponse>(
    'fit',
    outlierV1.FitRequest.fromPartial({
      name: DETECTOR,
      data: encodeTensorMessages(
        [createTensor('input', 'FP32', [reference.length / 4, 4], reference)],
        'raw',
      ),
    }),
  );
  threshold = fitted.detector!.threshold!;
  await outlierCall(
    'createDetector',
    outlierV1.CreateDetectorRequest.fromPartial({ name: UNFITTED, config: { iforest: {} } }),
  );

  const config = loadConfig(routerConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      defaultModelServer: modelServer.address,
      outlierAddress: outlier.address,
      dataDir: path.join(dataDir, 'router'),
      events: false,
      shutdownGraceMs: 2000,
    },
  });
  router = await startRouter(config, { logger: silentLogger(), env: {} });
  client = inferenceClient(router.grpcAddress);
  graphs = graphClient(router.grpcAddress);
  await apply(checkedGraph('iris-checked', '{ dependency: hard }'));
  await apply(checkedGraph('iris-soft', `{ dependency: soft, timeoutMs: ${DETECTOR_TIMEOUT_MS} }`));
  await apply(checkedGraph('iris-hard', `{ dependency: hard, timeoutMs: ${DETECTOR_TIMEOUT_MS} }`));
  await apply(checkedGraph('iris-unfitted', '{ dependency: hard }', UNFITTED));
  await apply(`
name: iris-guarded
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: od }, { node: route }] }
  - name: od
    policy: { dependency: soft, timeoutMs: ${DETECTOR_TIMEOUT_MS} }
    detector: { kind: outlier, detector: ${DETECTOR}, mode: sync, addVerdictToResponse: true }
  - name: route
    switch:
      cases: [{ condition: { parameter: sightline.${DETECTOR}.is_outlier, operator: eq, values: [true] }, node: fallback }]
      defaultNode: main
  - name: main
    model: { modelName: iris }
  - name: fallback
    model: { modelName: iris-tfjs }
`);
}, 120_000);

afterAll(async () => {
  client?.close();
  graphs?.close();
  outlierClient?.close();
  await router?.shutdown();
  await Promise.all([modelServer?.stop(), outlier?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('sync detector node against the outlier service', () => {
  it('adds the verdict of an inlier: not an outlier, its score under the threshold, version 1', async () => {
    const response = await infer('iris-checked', INLIER);
    expect(param(response, `sightline.${DETECTOR}.is_outlier`)).toBe(false);
    const score = param(response, `sightline.${DETECTOR}.score`) as number;
    expect(score).toBeLessThanOrEqual(threshold);
    expect(param(response, `sightline.${DETECTOR}.threshold`)).toBe(threshold);
    expect(param(response, `sightline.${DETECTOR}.version`)).toBe(1n);
    expect(param(response, 'sightline.path')).toBe('seq,od,iris');
    expect(response.outputs[0]?.name).toBe('probabilities');
  });

  it('adds the verdict of an outlier: an outlier, its score over the threshold, and still answers', async () => {
    const response = await infer('iris-checked', OUTLIER);
    expect(param(response, `sightline.${DETECTOR}.is_outlier`)).toBe(true);
    expect(param(response, `sightline.${DETECTOR}.score`) as number).toBeGreaterThan(threshold);
    expect(response.outputs[0]?.name).toBe('probabilities');
  });

  it('a switch after the detector sends outliers to the fallback model and inliers to the main one', async () => {
    const inlier = await infer('iris-guarded', INLIER);
    expect(param(inlier, 'sightline.path')).toBe('seq,od,route,main');
    expect(inlier.modelName).toBe('iris-guarded');
    const flagged = await infer('iris-guarded', OUTLIER);
    expect(param(flagged, 'sightline.path')).toBe('seq,od,route,fallback');
    expect(param(flagged, `sightline.${DETECTOR}.is_outlier`)).toBe(true);
  });

  it('coalesces concurrent requests into fewer Predicts, and each gets the verdict it gets alone', async () => {
    // Inliers spread around setosa's mean and a few outliers: different scores per request.
    const rows = Array.from({ length: 64 }, (_, i) =>
      i % 8 === 0 ? [30 + i, -10, 25, 40] : [4.6 + (i % 9) * 0.1, 3.0 + (i % 5) * 0.1, 1.4, 0.2],
    );
    const verdictOf = (response: Awaited<ReturnType<typeof infer>>) =>
      ['is_outlier', 'score', 'threshold', 'version'].map((k) =>
        param(response, `sightline.${DETECTOR}.${k}`),
      );
    // One at a time: nothing else in flight, so each goes alone.
    const alone = [];
    for (const row of rows) alone.push(verdictOf(await infer('iris-checked', row)));
    const before = await coalescedPredicts();
    const together = await Promise.all(rows.map((row) => infer('iris-checked', row)));
    const after = await coalescedPredicts();
    expect(together.map(verdictOf)).toEqual(alone);
    expect(alone.filter((v) => v[0] === true)).toHaveLength(8);
    // Every request's call was carried, by fewer Predicts than requests.
    expect(after.calls - before.calls).toBe(rows.length);
    expect(after.predicts - before.predicts).toBeLessThan(rows.length);
  });

  it("passes the service's own refusal on: a detector not fitted is FAILED_PRECONDITION naming the node", async () => {
    const error = (await infer('iris-unfitted', INLIER).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toContain('"od"');
    expect(error.details).toContain('Fit');
  });
});

describe('detector node policy when the outlier service does not answer', () => {
  it('frozen (SIGSTOP): a soft detector times out and the prediction is answered without a verdict; a hard one fails DEADLINE_EXCEEDED', async () => {
    process.kill(outlier.pid, 'SIGSTOP');
    try {
      const soft = await infer('iris-soft', OUTLIER);
      expect(response(soft)).toEqual({ output: 'probabilities', skipped: 'od', verdict: undefined });
      // The switch falls to its default: no verdict, no detour.
      const guarded = await infer('iris-guarded', OUTLIER);
      expect(param(guarded, 'sightline.path')).toBe('seq,od,route,main');
      expect(param(guarded, 'sightline.skipped')).toBe('od');
      const error = (await infer('iris-hard', OUTLIER).catch((e: unknown) => e)) as ServiceError;
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      expect(error.details).toContain('"od"');
    } finally {
      process.kill(outlier.pid, 'SIGCONT');
    }
    // Thawed, the same graphs have their verdicts again.
    await expect
      .poll(async () => param(await infer('iris-soft', OUTLIER), `sightline.${DETECTOR}.is_outlier`), {
        timeout: 10_000,
      })
      .toBe(true);
  });

  it('down: a soft detector is skipped and the prediction answered; a hard one fails UNAVAILABLE naming the node', async () => {
    await outlier.stop();
    const soft = await infer('iris-soft', INLIER);
    expect(response(soft)).toEqual({ output: 'probabilities', skipped: 'od', verdict: undefined });
    const error = (await infer('iris-hard', INLIER).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toContain('"od"');
  });
});

/** What the policy tests look at in an answer. */
function response(r: Awaited<ReturnType<typeof infer>>) {
  return {
    output: r.outputs[0]?.name,
    skipped: param(r, 'sightline.skipped'),
    verdict: param(r, `sightline.${DETECTOR}.is_outlier`),
  };
}
