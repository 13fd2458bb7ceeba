/**
 * Runs every example in examples/sdk/ as its own process (`node --import tsx`), against a
 * real model-server, router and drift service started here, and checks what it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildService,
  REPO_ROOT,
  startChildService,
  startModelServer,
  startRouter,
} from './helpers/child-service.js';

const run = promisify(execFile);
const EXAMPLES = path.join(REPO_ROOT, 'examples/sdk');

let modelServer: ChildService;
let router: ChildService;
let dataDir: string;
let drift: ChildService;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sdk-examples-'));
  modelServer = await startModelServer();
  router = await startRouter(modelServer.address, dataDir);
  drift = await startChildService('drift', [
    '--data-dir',
    path.join(dataDir, 'drift'),
    '--events-dir',
    path.join(dataDir, 'router/events'),
  ]);
});

afterAll(async () => {
  await drift?.stop();
  await router?.stop();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Runs one example and returns what it printed on stdout. */
async function runExample(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(EXAMPLES, file)], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SIGHTLINE_ROUTER_ADDRESS: router.address,
      SIGHTLINE_DRIFT_ADDRESS: drift.address,
      MODEL_SERVER_ADDRESS: modelServer.address,
    },
    timeout: 60_000,
  });
  return stdout;
}

describe('examples/sdk', () => {
  it('has a test for every example', async () => {
    const examples = (await readdir(EXAMPLES)).filter((name) => name.endsWith('.ts')).sort();
    expect(examples).toEqual(['infer-iris.ts', 'manage-graphs.ts', 'watch-drift.ts']);
  });

  // Each example is a node process compiling TypeScript with tsx: allowed its 60 s run.
  it('infer-iris.ts classifies the three flowers and prints the trace id', { timeout: 90_000 }, async () => {
    const stdout = await runExample('infer-iris.ts');
    expect(stdout).toMatch(/^flower 0: setosa \(p=0\.\d{3}\)$/m);
    expect(stdout).toMatch(/^flower 1: versicolor /m);
    expect(stdout).toMatch(/^flower 2: virginica /m);
    expect(stdout).toMatch(/^trace id: [0-9a-f]{32}$/m);
  });

  it('manage-graphs.ts applies, calls, lists and deletes its graph', { timeout: 90_000 }, async () => {
    const stdout = await runExample('manage-graphs.ts');
    expect(stdout).toMatch(/^applied example-iris-pair generation 1 \(created: true\)$/m);
    expect(stdout).toMatch(/^answer \[\[[\d.e-]+,[\d.e-]+,[\d.e-]+\]\] via /m);
    expect(stdout).toMatch(/^graphs: .*example-iris-pair/m);
    expect(stdout).toMatch(/^deleted: .*example-iris-pair/m);
  });

  it('watch-drift.ts fits a detector, finds no drift in a like batch and drift in a shifted one', {
    timeout: 90_000,
  }, async () => {
    const stdout = await runExample('watch-drift.ts');
    expect(stdout).toMatch(/^fitted example-petals version 1 on 500 rows \(tabular\)$/m);
    expect(stdout).toMatch(/^same: drift=false \(threshold 0\.025, bonferroni\)$/m);
    expect(stdout).toMatch(/^shifted: drift=true /m);
    expect(stdout).toMatch(/^ {2}petal_length: ks statistic [\d.]+ p [\d.e+-]+ psi [\d.]+ drift=true$/m);
    expect(stdout).toMatch(/^deleted example-petals$/m);
  });
});
