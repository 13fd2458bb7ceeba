/**
 * Issue 14's story end to end: the real `sightline start` (every service a process, on
 * ports a config file picks, its traces sent to a trace store this test starts), the
 * detectors it provisions from examples/detectors, `sightline demo` with its defaults run
 * against it (in this process), each outcome asserted, then Ctrl-C: one "stopped" line per
 * service, no warning while stopping, and no process left.
 *
 * Cannot fail by chance: the traffic is seeded; the drift windows and the outlier detector are
 * deterministic on it (four requests in flight may swap a few rows across a window boundary,
 * which moves no verdict: clean windows' smallest p-values are 0.04-0.3 against 0.0025 per
 * feature, drifted ones' below 1e-8).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_OPTIONS } from '../src/demo/demo-options.js';
import type { DemoOutcome } from '../src/demo/demo-outcome.js';
import { expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { CLI_MAIN, REPO_ROOT, type RunningService, startService } from './helpers/services.js';

const SERVICES = ['model-server', 'router', 'drift', 'outlier', 'metrics', 'explainer'] as const;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The processes whose parent is `ppid` (Linux: from /proc). */
async function childPids(ppid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === ppid) pids.push(Number(entry));
  }
  return pids;
}

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
    const listening = store.logs.find((line) => line.includes('"OTLP/HTTP receiver listening"'));
    const { otlpPort } = JSON.parse(listening ?? '{}') as { otlpPort: number };

    const ports: Record<string, { grpc: number; http: number }> = {};
    for (const name of SERVICES) ports[name] = { grpc: await freePort(), http: await freePort() };
    const sections = SERVICES.map(
      (name) =>
        `${name}:\n  host: 127.0.0.1\n  grpc-port: ${ports[name]!.grpc}\n  http-port: ${ports[name]!.http}\n  log-level: warn\n`,
    );
    await writeFile(
      path.join(cwd, 'sightline.yaml'),
      `stack:\n  examples: ${path.join(REPO_ROOT, 'examples')}\n  data: data\n  ready-timeout-ms: 150000\n${sections.join('')}`,
    );
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('SIGHTLINE_') && !key.startsWith('OTEL_'),
      ),
    );
    const stack = spawn(process.execPath, [CLI_MAIN, 'start'], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
    });
    const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
    cleanups.push(async () => {
      if (stack.exitCode === null) {
        process.kill(-stack.pid!, 'SIGKILL');
        await exited;
      }
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/Ctrl-C stops the stack/.test(output)) resolve();
      };
      stack.stdout!.on('data', onData);
      stack.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`sightline start exited ${code}:\n${output}`)));
    });
    expect(output).toMatch(/^ready in \d+\.\d s:$/m);
    // The graph's detector exists before the stack says it is ready.
    expect(output.indexOf('detectors: iris-od (outlier) created: fitted on 150 rows')).toBeGreaterThan(-1);
    expect(output.indexOf('detectors: iris-od (outlier) created')).toBeLessThan(output.indexOf('ready in'));
    expect(output).toContain(
      'detectors: iris-features (drift) created: fitted on 150 rows, watching model iris',
    );
    const pids = await childPids(stack.pid!);
    expect(pids).toHaveLength(SERVICES.length);

    const at = (name: string) => `127.0.0.1:${ports[name]!.grpc}`;
    const demo = await runCli([
      'demo',
      '--json',
      '--no-start',
      '--router',
      at('router'),
      '--model-server',
      at('model-server'),
      '--outlier',
      at('outlier'),
      '--drift',
      at('drift'),
      '--metrics',
      at('metrics'),
      '--explainer',
      at('explainer'),
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
    const beforeStop = output.length;
    process.kill(-stack.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    for (const name of SERVICES)
      expect(output.match(new RegExp(`^\\[${name}\\] stopped$`, 'gm')), name).toHaveLength(1);
    const stopping = output.slice(beforeStop);
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
