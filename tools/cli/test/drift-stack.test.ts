/**
 * Drift in a stack as `npm start` wires it: a model-server, a router that stores its
 * events and sends them as CloudEvents to the drift service, and the drift service reading
 * the router's event store. A detector fitted from iris.csv with `drift fit`, attached with
 * `drift attach`, sees routed requests in live windows (`drift events`); `drift run` tests
 * the same stored requests window by window.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sightline } from '@sightline/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/eventually.js';
import { type CliRun, runCli } from './helpers/run-cli.js';
import { REPO_ROOT, type RunningService, startService } from './helpers/services.js';

let modelServer: RunningService;
let router: RunningService;
let drift: RunningService;
let dir: string;

const IRIS_COLUMNS = 'sepal_length,sepal_width,petal_length,petal_width';
/** Requests sent: two live windows of WINDOW_ROWS rows close on their row count. */
const REQUESTS = 60;
const WINDOW_ROWS = 30;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-drift-stack-'));
  modelServer = await startService('model-server', ['--repository', 'examples/models']);
  drift = await startService('drift', [
    '--data-dir',
    path.join(dir, 'drift'),
    '--events-dir',
    path.join(dir, 'router/events'),
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
      `http://127.0.0.1:${drift.httpPort}/events`,
      '--event-batch-linger-ms',
      '0',
    ],
    { MODEL_SERVER_ADDRESS: modelServer.address },
  );
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await drift?.stop();
  await modelServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliRun> =>
  runCli(['drift', ...args], { SIGHTLINE_DRIFT_ADDRESS: drift.address });

describe('drift in the stack', () => {
  it('tests routed requests in live windows, and the stored ones with drift run', {
    timeout: 150_000,
  }, async () => {
    // The reference: iris's four measurements (the request's input), all three species.
    const iris = (await readFile(path.join(REPO_ROOT, 'examples/data/iris.csv'), 'utf8')).trim().split('\n');
    const rows = iris.slice(1).map((line) => line.split(',').slice(0, 4).map(Number));
    const reference = path.join(dir, 'iris-measurements.csv');
    await writeFile(reference, `${IRIS_COLUMNS}\n${rows.map((row) => row.join(',')).join('\n')}\n`);
    const fit = await cli(['fit', 'iris', '--reference', reference]);
    expect(fit.stderr).toBe('');
    expect(fit.stdout).toMatch(
      /^created and fitted detector "iris": version 1, 150 reference rows, 4 features$/m,
    );
    const attach = await cli([
      'attach',
      'iris',
      '--model',
      'iris',
      '--columns',
      IRIS_COLUMNS,
      '--max-rows',
      String(WINDOW_ROWS),
      '--max-duration',
      '10m',
    ]);
    expect(attach.stderr).toBe('');

    // Setosa only (iris.csv's first 50 rows): far from the three-species reference.
    const from = Date.now() - 1000;
    const sightline = new Sightline({ addresses: { router: router.address } });
    try {
      for (let i = 0; i < REQUESTS; i++) {
        await sightline.inference.infer('iris', { input: [rows[i % 50]!] });
      }
    } finally {
      sightline.close();
    }

    const live = await eventually(async () => {
      const run = await cli(['events', 'iris', '--json']);
      const events = (JSON.parse(run.stdout).events as { origin: string }[]).filter(
        (e) => e.origin === 'live',
      );
      return events.length >= REQUESTS / WINDOW_ROWS ? events : undefined;
    }, 'two live windows');
    expect(live[0]).toMatchObject({
      detector: 'iris',
      detector_version: 1,
      model_name: 'iris',
      rows: WINDOW_ROWS,
      closed_by: 'rows',
      verdict: { drift: true },
    });
    const table = await cli(['events', 'iris', '--drift-only']);
    expect(table.stdout).toMatch(/│ iris +│ 1 +│ live +│ iris(:\d+)? +│ .* │ 30 +│ rows +│ DRIFT +│/);

    // The router stored the same requests: a history run finds them in two windows.
    const history = await eventually(async () => {
      const run = await cli([
        'run',
        'iris',
        '--from',
        new Date(from).toISOString(),
        '--to',
        new Date(Date.now() + 1000).toISOString(),
        '--model',
        'iris',
        '--columns',
        IRIS_COLUMNS,
        '--max-rows',
        String(WINDOW_ROWS),
        '--json',
      ]);
      expect(run.stderr).toBe('');
      const answer = JSON.parse(run.stdout);
      return answer.progress?.events_matched >= REQUESTS ? answer : undefined;
    }, 'the stored requests');
    expect(history.windows).toHaveLength(REQUESTS / WINDOW_ROWS);
    expect(history.windows[0]).toMatchObject({ rows: WINDOW_ROWS, verdict: { drift: true } });

    // The stored requests as a reference: a detector fitted on them finds no drift in them.
    const fromEvents = await cli([
      'fit',
      'iris-stored',
      '--from',
      new Date(from).toISOString(),
      '--model',
      'iris',
      '--columns',
      IRIS_COLUMNS,
      '--json',
    ]);
    expect(fromEvents.stderr).toBe('');
    expect(JSON.parse(fromEvents.stdout).detector).toMatchObject({
      name: 'iris-stored',
      version: 1,
      reference_rows: REQUESTS,
      lineage: { feature_names: IRIS_COLUMNS.split(',') },
    });
  });
});
