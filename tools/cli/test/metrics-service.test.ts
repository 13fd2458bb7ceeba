/**
 * `sightline feedback ...` and `sightline metrics ...` against the real metrics service
 * (`startMetrics` from @sightline/metrics in this process, on 127.0.0.1 ephemeral ports, its
 * SQLite store in a temporary directory): predictions arrive as CloudEvents on its POST
 * /events, feedback from a CSV through the CLI with its summary and exit code, and the window's
 * metrics printed as a table, a sparkline series and JSON. The CLI runs in the test's process
 * too; one refusal goes through the built CLI as a subprocess.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type InferenceEvent, toCloudEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { type MetricsHandle, metricsConfigSchema, startMetrics } from '@sightline/metrics';
import { Sightline } from '@sightline/sdk';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';

let service: MetricsHandle;
let dir: string;

/** Event i of the iris graph: one row whose most probable class is `top`. */
function event(i: number, top: number): InferenceEvent {
  const probabilities = new Float32Array([0.1, 0.1, 0.1]);
  probabilities[top] = 0.8;
  return sampleEvent(i, {
    requestId: `q${i}`,
    timeUnixMs: Date.now(),
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: probabilities }],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-metrics-service-'));
  const config = loadConfig(metricsConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      shutdownGraceMs: 2000,
      dataDir: path.join(dir, 'metrics'),
      classes: 'iris=setosa,versicolor,virginica',
    },
    env: {},
  });
  service = await startMetrics(config, { logger: silentLogger() });
  // Twenty predictions: setosa for even i, virginica for odd i.
  const response = await fetch(`http://127.0.0.1:${service.httpPort}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(
      Array.from({ length: 20 }, (_, i) => toCloudEvent(event(i, i % 2 === 0 ? 0 : 2)).toJSON()),
    ),
  });
  expect(response.status).toBe(202);
  await service.idle();
  // Truth: right for 16 of 20 (i = 1, 3, 5, 7 are setosa really), one unknown request, one bad label.
  const lines = Array.from(
    { length: 20 },
    (_, i) => `q${i},${i % 2 === 0 || i < 8 ? 'setosa' : 'virginica'}`,
  );
  await writeFile(path.join(dir, 'labels.csv'), `request_id,label\n${lines.join('\n')}\nq-unknown,setosa\n`);
  await writeFile(path.join(dir, 'bad.csv'), 'request_id,label\nq0,daisy\nq2,setosa\n');
  await writeFile(path.join(dir, 'typo.csv'), 'request_id,lable\nq0,setosa\n');
  await writeFile(
    path.join(dir, 'eval.csv'),
    'y_true,y_pred,prob_a,prob_b\na,a,0.9,0.1\na,b,0.4,0.6\nb,b,0.2,0.8\nb,b,0.3,0.7\n',
  );
  await writeFile(path.join(dir, 'reg.csv'), 'y_true,y_pred\n1,1.5\n2,2\n3,2\n');
}, 120_000);

afterAll(async () => {
  await service?.shutdown('test over');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const env = () => ({ SIGHTLINE_METRICS_ADDRESS: service.grpcAddress });
const feedback = (args: string[]) => runCli(['feedback', ...args], env());
const metrics = (args: string[]) => runCli(['metrics', ...args], env());
const file = (name: string) => path.join(dir, name);

describe('sightline feedback and metrics against the metrics service', () => {
  it('sends a CSV of labels: joined and pending rows summed up', async () => {
    const sent = await feedback(['send', file('labels.csv'), '--json']);
    expectOk(sent);
    const result = JSON.parse(sent.stdout);
    expect(result).toMatchObject({ joined: 20, pending: 1, rejected: 0, pairs: 20 });
    expect(result.outcomes).toHaveLength(21);
    const again = await feedback(['send', file('labels.csv')]);
    expectOk(again);
    expect(again.stdout).toMatch(/^unchanged +21$/m);
    await service.idle();
  });

  it('prints the window: accuracy 0.8 with its Wilson interval, and the per-class table', async () => {
    const shown = await metrics(['show', 'iris']);
    expectOk(shown);
    expect(shown.stdout).toMatch(/^joined pairs +20$/m);
    expect(shown.stdout).toMatch(/│ accuracy +│ 0\.8 +│ \[0\.58\d*, 0\.91\d*\] 95% wilson/);
    expect(shown.stdout).toMatch(/│ setosa +│/);
    const json = JSON.parse((await metrics(['show', 'iris', '--json'])).stdout);
    expect(json.windows[0].classification.accuracy.value).toBeCloseTo(0.8, 12);
    expect(json.windows[0].classification.confusionMatrix).toEqual([
      [10, 0, 4],
      [0, 0, 0],
      [0, 0, 6],
    ]);
  });

  it('prints a time series as sparklines with --step', async () => {
    const series = await metrics(['show', 'iris', '--window', '10m', '--step', '1m']);
    expectOk(series);
    expect(series.stdout).toMatch(/^steps +10$/m);
    expect(series.stdout).toMatch(/│ accuracy +│ [ ▁▂▃▄▅▆▇█]{10} │/);
  });

  it('computes metrics of a CSV with the service: accuracy, per-class scores, AUC, regression errors', async () => {
    const computed = JSON.parse(
      (await metrics(['compute', '--task', 'classification', '--data', file('eval.csv'), '--json'])).stdout,
    );
    expect(computed.classes).toEqual(['a', 'b']);
    expect(computed.classification.accuracy.value).toBeCloseTo(0.75, 12);
    // scikit-learn: roc_auc_score([0,0,1,1], [0.1,0.6,0.8,0.7]) = 1.0
    expect(computed.classification.rocAuc.binary).toBeCloseTo(1, 12);
    expect(computed.classification.confusionMatrix).toEqual([
      [1, 1],
      [0, 2],
    ]);
    const table = await metrics(['compute', '--task', 'regression', '--data', file('reg.csv')]);
    expectOk(table);
    expect(table.stdout).toMatch(/│ mae +│ 0\.5 +│/);
  });

  it('lists and leases the annotation queue, and an answer joins as feedback', async () => {
    const sdk = new Sightline({ addresses: { metrics: service.grpcAddress } });
    try {
      await sdk.metrics.putAnnotationQueue({ modelName: 'iris', policy: 'least_confident', sampleRate: 1 });
      const response = await fetch(`http://127.0.0.1:${service.httpPort}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify([toCloudEvent(event(50, 1)).toJSON()]),
      });
      expect(response.status).toBe(202);
      await service.idle();
      const listed = await feedback(['queue', 'iris', '--json']);
      expectOk(listed);
      const items = JSON.parse(listed.stdout).items;
      expect(items.map((i: { requestId: string }) => i.requestId)).toEqual(['q50']);
      const leased = await feedback(['queue', 'iris', '--lease', '--annotator', 'ana', '--json']);
      expectOk(leased);
      const [item] = JSON.parse(leased.stdout).items;
      expect(item.annotator).toBe('ana');
      const answered = await feedback([
        'answer',
        'iris',
        item.itemId,
        '--label',
        'versicolor',
        '--annotator',
        'ana',
      ]);
      expectOk(answered);
      expect(answered.stdout).toMatch(/^feedback +joined$/m);
    } finally {
      sdk.close();
    }
  });

  it('exits 1 naming the rejected rows, and 2 for a CSV it cannot read', async () => {
    const bad = await feedback(['send', file('bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^rejected +1$/m);
    expect(bad.stdout).toMatch(/items\[0\]\.label: must be one of the classes/);
    expect(bad.stderr).toMatch(/1 of 2 feedback rows were rejected/);
    expectOneSentence(await feedback(['send', file('typo.csv')]), 2, /unknown column "lable"/);
    expectOneSentence(
      await spawnCli(['metrics', 'show', 'nope'], env()),
      1,
      /^sightline: NOT_FOUND: .*"nope"/m,
    );
  });
});
