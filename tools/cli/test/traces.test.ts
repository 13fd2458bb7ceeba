/**
 * `sightline traces` as a user runs it, with no Jaeger: a trace store, a model-server and a
 * router as child processes, the two services exporting to the store over OTLP
 * http/protobuf as `npm start` wires them. `sightline infer` through the router prints the
 * trace id; `traces show` draws that trace and `traces list` finds it, as tables and as
 * one JSON document; mistakes exit 2 and a service's refusal 1, each with one sentence. The
 * CLI runs in the test's process; an unreachable store goes through the built CLI as a
 * subprocess, as a shell sees it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { type RunningService, startService } from './helpers/services.js';

let store: RunningService;
let modelServer: RunningService;
let router: RunningService;
let dir: string;
let traceId: string;

interface ShownSpan {
  readonly span_id: string;
  readonly parent_span_id: string;
  readonly name: string;
  readonly service_name: string;
  readonly kind: string;
}

const viaStore = (args: string[]) => runCli(args, { SIGHTLINE_TRACE_STORE_ADDRESS: store.address });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-traces-'));
  store = await startService('trace-store', ['--otlp-port', '0']);
  const listening = store.logs.find((line) => line.includes('"OTLP/HTTP receiver listening"'));
  const { otlpPort } = JSON.parse(listening ?? '{}') as { otlpPort: number };
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  modelServer = await startService('model-server', ['--repository', 'examples/models'], otel);
  router = await startService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--data-dir',
      path.join(dir, 'router'),
      '--default-model-server',
      modelServer.address,
    ],
    { ...otel, MODEL_SERVER_ADDRESS: modelServer.address },
  );

  const infer = await runCli(['infer', 'iris-sequence', '--input', '[[5.1,3.5,1.4,0.2]]', '--json'], {
    SIGHTLINE_ROUTER_ADDRESS: router.address,
  });
  expect(infer.code).toBe(0);
  traceId = (JSON.parse(infer.stdout) as { parameters: Record<string, string> }).parameters[
    'sightline.trace_id'
  ]!;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  // The services export every 100 ms: wait until the router's root and the three
  // model-server calls are in the store (at most 20 s).
  const complete = (spans: ShownSpan[]) =>
    spans.some((s) => s.parent_span_id === '') &&
    spans.filter((s) => s.service_name === 'sightline-model-server' && s.kind === 'server').length === 3;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const run = await viaStore(['traces', 'show', traceId, '--json']);
    if (run.code === 0 && complete((JSON.parse(run.stdout) as { spans: ShownSpan[] }).spans)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await modelServer?.stop();
  await store?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sightline traces show', () => {
  it('draws the routed request as a waterfall across the router and the model-server', async () => {
    const run = await viaStore(['traces', 'show', traceId, '--width', '140']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trace\\s+${traceId}$`));
    expect(run.stdout).toMatch(/\d+ spans · [\d.]+ (µs|ms|s) · 2 services/);
    const root = lines.findIndex((l) =>
      /^inference\.GRPCInferenceService\/ModelInfer +sightline-router /.test(l),
    );
    expect(root).toBeGreaterThan(0);
    // Each model-server call is drawn deeper than the router's root, under a router span.
    const modelLines = lines.filter((l) => /^ +.*ModelInfer +sightline-model-server/.test(l));
    expect(modelLines).toHaveLength(3);
    for (const line of lines.slice(root)) expect([...line].length).toBeLessThanOrEqual(140);
  });

  it('prints every span with its parent as one JSON document with --json', async () => {
    const run = await viaStore(['traces', 'show', traceId, '--json']);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as { trace_id: string; spans: ShownSpan[] };
    expect(shown.trace_id).toBe(traceId);
    const byId = new Map(shown.spans.map((s) => [s.span_id, s]));
    for (const span of shown.spans.filter(
      (s) => s.service_name === 'sightline-model-server' && s.kind === 'server',
    )) {
      expect(byId.get(span.parent_span_id)).toMatchObject({
        service_name: 'sightline-router',
        kind: 'client',
      });
    }
  });

  it('exits 2 for a malformed trace id and 1 for one the store does not hold, with one sentence', async () => {
    expectOneSentence(
      await viaStore(['traces', 'show', 'abc']),
      2,
      /^sightline: trace_id: expected 32 hex characters/,
    );
    expectOneSentence(
      await viaStore(['traces', 'show', 'ab'.repeat(16)]),
      1,
      /^sightline: NOT_FOUND: trace_id: trace abab\S* is not in the store/,
    );
  });
});

describe('sightline traces list', () => {
  it('lists the trace as a table, newest first, and as one JSON document', async () => {
    const table = await viaStore(['traces', 'list', '--service', 'sightline-model-server']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(traceId);
    expect(table.stdout).toMatch(/trace id .* started .* duration/);
    expect(table.stdout).toMatch(/matching; `sightline traces show TRACE_ID` draws one/);

    const json = await viaStore(['traces', '--json', '--since', '10m', '--limit', '5']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as {
      traces: { trace_id: string; root_service_name: string; services: string[]; start_time: string }[];
      total_matching: number;
      evictions: { traces_evicted: number };
    };
    const mine = listed.traces.find((t) => t.trace_id === traceId);
    expect(mine).toMatchObject({
      root_service_name: 'sightline-router',
      services: ['sightline-model-server', 'sightline-router'],
    });
    expect(Number.isNaN(Date.parse(mine!.start_time))).toBe(false);
    expect(listed.evictions.traces_evicted).toBe(0);

    const routed = await viaStore([
      'traces',
      'list',
      '--root-service',
      'sightline-router',
      '--name',
      'ModelInfer',
      '--json',
    ]);
    const routedTraces = (
      JSON.parse(routed.stdout) as { traces: { trace_id: string; root_service_name: string }[] }
    ).traces;
    expect(routedTraces.map((t) => t.trace_id)).toContain(traceId);
    expect(routedTraces.every((t) => t.root_service_name === 'sightline-router')).toBe(true);

    const none = await viaStore(['traces', 'list', '--min-duration', '1h', '--json']);
    expect(JSON.parse(none.stdout)).toMatchObject({ traces: [], total_matching: 0 });
  });

  it('exits 2 naming the flag for a bad value, and 1 saying what to start when no store answers', async () => {
    expectOneSentence(
      await viaStore(['traces', 'list', '--limit', '5000']),
      2,
      /^sightline: --limit: expected a whole number from 1 to 1000/,
    );
    expectOneSentence(
      await viaStore(['traces', 'list', '--since', 'yesterday']),
      2,
      /^sightline: --since: expected a duration ago/,
    );
    expectOneSentence(
      await viaStore(['traces', 'list', '--min-duration', 'long']),
      2,
      /^sightline: --min-duration: expected a duration/,
    );
    expectOneSentence(
      await spawnCli(['traces', 'list', '--address', '127.0.0.1:1', '--timeout', '3s']),
      1,
      /^sightline: UNAVAILABLE: cannot reach the trace-store at 127\.0\.0\.1:1 /,
    );
  });
});
