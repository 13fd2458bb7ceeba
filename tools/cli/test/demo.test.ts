import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_OPTIONS } from '../src/demo/demo-options.js';
import type { DemoOutcome } from '../src/demo/demo-outcome.js';
import { expectOneSentence } from './helpers/cli-expect.js';
import { childPids, freePort, spawnConfiguredStack, tracesTo } from './helpers/configured-stack.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { REPO_ROOT, type RunningService, startService } from './helpers/services.js';

const SERVICES = ['model-server', 'router', 'drift', 'outlier', 'metrics', 'explainer'] as const;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('npm start, then npm run demo, then Ctrl-C', () => {
  it('shows drift from the right window, the planted outliers, accuracy and its estimate falling, the shadow, an explanation and a trace; then stops every service', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'demo-stack-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    const store: RunningService = await startService('trace-store', ['--otlp-port', '0']);
    cleanups.push(() => store.stop());

    const stack = await spawnConfiguredStack({
      cwd,
      services: SERVICES,
      readyTimeoutMs: 150_000,
      env: tracesTo(store),
    });
    cleanups.push(async () => {
      if (stack.child.exitCode === null) {
        process.kill(-stack.child.pid!, 'SIGKILL');
        await stack.exited;
      }
    });
    await stack.ready;
    expect(stack.output()).toMatch(/^ready in \d+\.\d s:$/m);
    // The graph's detector exists before the stack says it is ready.
    expect(
      stack.output().indexOf('detectors: iris-od (outlier) created: fitted on 150 rows'),
    ).toBeGreaterThan(-1);
    expect(stack.output().indexOf('detectors: iris-od (outlier) created')).toBeLessThan(
      stack.output().indexOf('ready in'),
    );
    expect(stack.output()).toContain(
      'detectors: iris-features (drift) created: fitted on 150 rows, watching model iris',
    );
    const pids = await childPids(stack.child.pid!);
    expect(pids).toHaveLength(SERVICES.length);

    const demo = await runCli([
      'demo',
      '--json',
      '--no-start',
      '--router',
      stack.at('router'),
      '--model-server',
      stack.at('model-server'),
      '--outlier',
      stack.at('outlier'),
      '--drift',
      stack.at('drift'),
      '--metrics',
      stack.at('metrics'),
      '--explainer',
      stack.at('explainer'),
      '--traces',
      store.address,
    ]);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    const outcome = JSON.parse(demo.stdout) as DemoOutcome;
    const rows = DEFAULT_DEMO_OPTIONS.rows;
    expect(outcome.problems).toEqual([]);

    // Drift: every window before the shift clean, every one from it on drifted.
    const windows = outcome.drift.windows;
    expect(windows).toHaveLength(rows / DEFAULT_DEMO_OPTIONS.windowRows);
    expect(outcome.drift.expectedFirstDriftWindow).toBe(10);
    expect(outcome.drift.firstDriftWindow).toBe(10);
    expect(windows.map((w) => w.drift)).toEqual(windows.map((w) => w.index >= 10));

    // Outliers: each planted one flagged; before the drift, few flagged besides them.
    expect(outcome.outliers.planted).toHaveLength(DEFAULT_DEMO_OPTIONS.outliers);
    expect(outcome.outliers.checked).toBe(rows);
    expect(outcome.outliers.recall).toBe(1);
    expect(outcome.outliers.precisionBeforeDrift).toBeGreaterThanOrEqual(0.75);

    // Accuracy falls after the drift, and CBPE, read before any label, falls with it.
    const [before, after] = outcome.metrics;
    expect(before).toMatchObject({ phase: 'before-drift', predictions: 1000, pairsAtEstimate: 0 });
    expect(after).toMatchObject({ phase: 'after-drift', predictions: 1000, pairsAtEstimate: 0 });
    expect(before!.pairs + after!.pairs).toBeGreaterThan(800);
    expect(before!.accuracy).toBeGreaterThan(0.9);
    expect(after!.accuracy).toBeLessThan(0.75);
    expect(after!.estimateBeforeLabels!).toBeLessThan(before!.estimateBeforeLabels! - 0.05);

    // The shadow (iris-v2) compared with the live model on the same labelled requests.
    expect(outcome.shadow).toMatchObject({ model: 'iris', baselineVersion: '1', candidateNode: 'versions' });
    expect(outcome.shadow!.pairs).toBe(before!.pairs + after!.pairs);
    expect(outcome.shadow!.candidateValue).not.toBe(outcome.shadow!.baselineValue);

    // An explanation of one drifted prediction, one attribution per measurement.
    expect(outcome.explanation!.attributions.map((a) => a.feature)).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
    ]);
    expect(outcome.explanation!.attributions.every((a) => Number.isFinite(a.value))).toBe(true);
    expect(outcome.explanation!.row).toBeGreaterThanOrEqual(outcome.driftStart);

    // One request's trace across the router, the model-server and the outlier service.
    expect(outcome.trace!.services).toEqual(
      expect.arrayContaining(['sightline-router', 'sightline-model-server', 'sightline-outlier']),
    );

    // Ctrl-C (SIGINT to the group, as a terminal sends it): one line per service, nothing left.
    const beforeStop = stack.output().length;
    process.kill(-stack.child.pid!, 'SIGINT');
    expect(await stack.exited).toBe(0);
    for (const name of SERVICES)
      expect(stack.output().match(new RegExp(`^\\[${name}\\] stopped$`, 'gm')), name).toHaveLength(1);
    const stopping = stack.output().slice(beforeStop);
    expect(stopping).not.toMatch(/"level":"(warn|error)"|second signal/);
    // Callers stop before what they call: the router after the explainer, before the model-server.
    const order = SERVICES.map((name) => stopping.indexOf(`[${name}] stopped`));
    expect(order[SERVICES.indexOf('router')]).toBeGreaterThan(order[SERVICES.indexOf('explainer')]!);
    expect(order[SERVICES.indexOf('router')]).toBeLessThan(order[SERVICES.indexOf('model-server')]!);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 300_000);
});

describe('sightline demo: refusals', () => {
  it('exits 2 naming the option for a bad value, and with --no-start saying what to start when no router answers', async () => {
    const bad = await runCli(['demo', '--rows', '0']);
    expectOneSentence(bad, 2, /^sightline: --rows: must be a whole number from 1 to 100000, got 0\n$/);
    const closed = await freePort();
    const none = await runCli(['demo', '--no-start', '--router', `127.0.0.1:${closed}`]);
    expectOneSentence(
      none,
      2,
      new RegExp(
        `^sightline: no router answers at 127\\.0\\.0\\.1:${closed}; run \`npm start\` first, or drop --no-start\\n$`,
      ),
    );
  });
});

describe('sightline demo with no stack running', () => {
  it('starts the local stack itself (as sightline start would, here from SIGHTLINE_CONFIG), runs, and stops it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'demo-self-start-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ports: Record<string, { grpc: number; http: number }> = {};
    for (const name of SERVICES) ports[name] = { grpc: await freePort(), http: await freePort() };
    const sections = SERVICES.map(
      (name) =>
        `${name}:\n  host: 127.0.0.1\n  grpc-port: ${ports[name]!.grpc}\n  http-port: ${ports[name]!.http}\n  log-level: warn\n`,
    );
    const config = path.join(dir, 'sightline.yaml');
    await writeFile(
      config,
      `stack:\n  examples: ${path.join(REPO_ROOT, 'examples')}\n  data: ${path.join(dir, 'data')}\n${sections.join('')}`,
    );
    const at = (name: string) => `127.0.0.1:${ports[name]!.grpc}`;
    const env = {
      SIGHTLINE_CONFIG: config,
      SIGHTLINE_ROUTER_ADDRESS: at('router'),
      SIGHTLINE_MODEL_SERVER_ADDRESS: at('model-server'),
      SIGHTLINE_OUTLIER_ADDRESS: at('outlier'),
      SIGHTLINE_DRIFT_ADDRESS: at('drift'),
      SIGHTLINE_METRICS_ADDRESS: at('metrics'),
      SIGHTLINE_EXPLAINER_ADDRESS: at('explainer'),
      // No trace store: the trace is the one part not shown.
      OTEL_TRACES_EXPORTER: 'none',
      SIGHTLINE_TRACE_STORE_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    // As a process (the built CLI): the stack it starts runs the same entry point.
    const run = await spawnCli(
      ['demo', '--rows', '400', '--outliers', '4', '--feedback-delay', '0', '--settle-timeout', '5000'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`no router answers at ${at('router')}: starting the local stack...`);
    expect(run.stdout).toMatch(/first drift in window 2, expected 2/);
    expect(run.stdout).toMatch(/flagged of them \(recall\) +4 \(100\.0%\)/);
    expect(run.stdout).toMatch(/^not shown: trace: /m);
    // Stopped: nothing answers on its ports any more.
    for (const name of SERVICES) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port: ports[name]!.grpc });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      expect(refused, name).toBe(true);
    }
  }, 240_000);
});
