/**
 * Live events in a stack as `npm start` wires it: a model-server, the drift and the outlier
 * service, and a router sending every event to both services' POST /events
 * (`localStackEventsUrls`, the list `sightline start` gives the router). An Isolation Forest
 * fitted from iris.csv with `outlier fit` and attached with `outlier attach` turns routed
 * requests into OutlierEvents (`outlier events`), the planted one flagged, while the drift
 * service's ingress receives the same events.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sightline } from '@sightline/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStackEventsUrls } from '../src/service-registry.js';
import { eventually } from './helpers/eventually.js';
import { type CliRun, runCli } from './helpers/run-cli.js';
import { REPO_ROOT, type RunningService, startService } from './helpers/services.js';

let modelServer: RunningService;
let router: RunningService;
let drift: RunningService;
let outlier: RunningService;
let dir: string;

const IRIS_COLUMNS = 'sepal_length,sepal_width,petal_length,petal_width';
/** Far outside iris in every measurement. */
const PLANTED = [30, -5, 40, 20];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-outlier-stack-'));
  [modelServer, drift, outlier] = await Promise.all([
    startService('model-server', ['--repository', 'examples/models']),
    startService('drift', [
      '--data-dir',
      path.join(dir, 'drift'),
      '--events-dir',
      path.join(dir, 'router/events'),
    ]),
    startService('outlier', [
      '--data-dir',
      path.join(dir, 'outlier'),
      '--events-dir',
      path.join(dir, 'router/events'),
    ]),
  ]);
  router = await startService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--data-dir',
      path.join(dir, 'router'),
      '--default-model-server',
      modelServer.address,
      '--events-cloudevents-url',
      localStackEventsUrls({ drift: drift.httpPort, outlier: outlier.httpPort }),
      '--event-batch-linger-ms',
      '0',
    ],
    { MODEL_SERVER_ADDRESS: modelServer.address },
  );
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await Promise.all([drift?.stop(), outlier?.stop()]);
  await modelServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const outlierCli = (args: string[]): Promise<CliRun> =>
  runCli(['outlier', ...args], { SIGHTLINE_OUTLIER_ADDRESS: outlier.address });

/** A counter's total over its label sets in a service's /metrics. */
async function counterTotal(service: RunningService, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('outlier detection in the stack', () => {
  it('scores routed requests into OutlierEvents while drift receives the same events', {
    timeout: 150_000,
  }, async () => {
    const iris = (await readFile(path.join(REPO_ROOT, 'examples/data/iris.csv'), 'utf8')).trim().split('\n');
    const rows = iris.slice(1).map((line) => line.split(',').slice(0, 4).map(Number));
    const reference = path.join(dir, 'iris-measurements.csv');
    await writeFile(reference, `${IRIS_COLUMNS}\n${rows.map((row) => row.join(',')).join('\n')}\n`);
    const fit = await outlierCli([
      'fit',
      'iris-forest',
      '--kind',
      'iforest',
      '--reference',
      reference,
      '--seed',
      '7',
    ]);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const attach = await outlierCli([
      'attach',
      'iris-forest',
      '--model',
      'iris',
      '--tensors',
      'input',
      '--columns',
      IRIS_COLUMNS,
    ]);
    expect(attach.stderr).toBe('');
    expect(attach.code).toBe(0);

    const sightline = new Sightline({ addresses: { router: router.address } });
    try {
      await sightline.inference.infer('iris', { input: [rows[0]!] }, { id: 'stack-inlier' });
      await sightline.inference.infer('iris', { input: [PLANTED] }, { id: 'stack-planted' });
    } finally {
      sightline.close();
    }

    const listed = await eventually(async () => {
      const run = await outlierCli(['events', 'iris-forest', '--json']);
      const events = (JSON.parse(run.stdout).events ?? []) as { request_id: string; is_outlier: boolean }[];
      return events.length >= 2 ? events : undefined;
    }, 'OutlierEvents of both requests');
    expect(listed.map((e) => [e.request_id, e.is_outlier]).sort()).toEqual([
      ['stack-inlier', false],
      ['stack-planted', true],
    ]);
    // The drift service's ingress got the same two events (no drift detector needed).
    await eventually(
      async () =>
        (await counterTotal(drift, 'sightline_drift_events_received_total')) >= 2 ? true : undefined,
      "the drift service's POST /events",
    );
  });
});
