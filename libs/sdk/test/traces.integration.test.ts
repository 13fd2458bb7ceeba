/**
 * The traces sub-client against a real trace store, model-server and router started as
 * child processes (`sightline serve ...`), the two services exporting their spans to the
 * store over OTLP http/protobuf as `npm start` wires them: an inference result's trace id
 * leads through `sightline.traces` to the spans of both services.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotFoundError, Sightline, type TraceSpan } from '../src/index.js';
import { type ChildService, startChildService } from './helpers/child-service.js';

let store: ChildService;
let modelServer: ChildService;
let router: ChildService;
let dataDir: string;
let sightline: Sightline;

/** The OTLP port the store logged ("OTLP/HTTP receiver listening"). */
function otlpPortOf(child: ChildService): number {
  const line = child.logs.find((l) => l.includes('"OTLP/HTTP receiver listening"'));
  return (JSON.parse(line ?? '{}') as { otlpPort: number }).otlpPort;
}

beforeAll(async () => {
  store = await startChildService('trace-store', ['--otlp-port', '0']);
  const otel = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPortOf(store)}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  modelServer = await startChildService('model-server', ['--repository', 'examples/models'], { env: otel });
  dataDir = await mkdtemp(path.join(tmpdir(), 'sdk-traces-'));
  router = await startChildService(
    'router',
    ['--graphs', 'examples/graphs', '--default-model-server', modelServer.address, '--data-dir', dataDir],
    { env: { ...otel, MODEL_SERVER_ADDRESS: modelServer.address } },
  );
  sightline = new Sightline({ addresses: { router: router.address, traces: store.address } });
}, 180_000);

afterAll(async () => {
  sightline?.close();
  await router?.stop();
  await modelServer?.stop();
  await store?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('traces', () => {
  it("gets the spans of an inference result's trace from the router and the model-server, and lists it", async () => {
    const result = await sightline.inference.infer('iris-sequence', { input: [[5.1, 3.5, 1.4, 0.2]] });
    const traceId = result.traceId!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // The services export every 100 ms (OTEL_BSP_SCHEDULE_DELAY); wait for the root and the
    // three model-server calls, at most 20 s.
    let spans: readonly TraceSpan[] = [];
    const complete = () =>
      spans.some((s) => s.parentSpanId === '') &&
      spans.filter((s) => s.serviceName === 'sightline-model-server' && s.kind === 'server').length === 3;
    for (const deadline = Date.now() + 20_000; !complete() && Date.now() < deadline; ) {
      spans = await sightline.traces.get(traceId).then(
        (trace) => trace.spans,
        (error: unknown) => {
          if (error instanceof NotFoundError) return [];
          throw error;
        },
      );
      if (!complete()) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(spans.filter((s) => s.parentSpanId === '')).toEqual([
      expect.objectContaining({ serviceName: 'sightline-router', kind: 'server', status: 'unset' }),
    ]);
    for (const span of spans.filter(
      (s) => s.serviceName === 'sightline-model-server' && s.kind === 'server',
    )) {
      expect(byId.get(span.parentSpanId)).toMatchObject({ serviceName: 'sightline-router', kind: 'client' });
    }

    const listed = await sightline.traces.list({
      service: 'sightline-model-server',
      since: new Date(Date.now() - 60_000),
    });
    const summary = listed.traces.find((t) => t.traceId === traceId);
    expect(summary).toMatchObject({
      rootServiceName: 'sightline-router',
      services: ['sightline-model-server', 'sightline-router'],
      error: false,
      rootMissing: false,
    });
    expect(summary!.spanCount).toBe(spans.length);
    expect(summary!.startTime).toBeInstanceOf(Date);
    expect(listed.evictions.tracesEvicted).toBe(0n);
    expect((await sightline.traces.list({ minDurationMs: 3_600_000 })).traces).toEqual([]);
    // The router's requests, without the model-server's own traces (the router's readiness probes).
    const routed = await sightline.traces.list({
      rootService: 'sightline-router',
      rootSpanName: 'ModelInfer',
    });
    expect(routed.traces.map((t) => t.traceId)).toContain(traceId);
    expect(routed.traces.every((t) => t.rootServiceName === 'sightline-router')).toBe(true);
  }, 60_000);

  it('throws the family errors with the field the sentence names', async () => {
    const invalid = await sightline.traces.get('not-a-trace-id').catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect(invalid).toMatchObject({
      field: 'trace_id',
      message: expect.stringMatching(/^trace_id: expected 32 hex/),
    });
    const missing = await sightline.traces.get('ab'.repeat(16)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    const tooMany = await sightline.traces.list({ limit: 5000 }).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'limit',
      message: 'limit: at most 1000, got 5000',
    });
  });
});
