/**
 * One trace across processes: the router and a model-server run as child processes
 * exporting spans over OTLP/HTTP (JSON) to a receiver in this test; a 3-hop sequence graph
 * must form a single trace where every span's parent is in it, and each model-server
 * ModelInfer span is the child of one of the router's client spans.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { call, inferenceClient, irisRequest, param } from './helpers/v2-calls.js';

interface CollectedSpan {
  readonly service: string;
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

const spans: CollectedSpan[] = [];
let receiver: Server;
let modelServer: ChildService;
let router: ChildService;
let dataDir: string;

function collect(body: unknown): void {
  const request = body as {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
      scopeSpans?: {
        spans?: { name: string; kind: number; traceId: string; spanId: string; parentSpanId?: string }[];
      }[];
    }[];
  };
  for (const rs of request.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          service,
          name: s.name,
          kind: s.kind,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
        });
      }
    }
  }
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces')
        collect(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  const otel = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  modelServer = await startChildService('model-server', ['--repository', 'examples/models'], otel);
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-trace-'));
  router = await startChildService('router', ['--graphs', 'examples/graphs', '--data-dir', dataDir], {
    ...otel,
    MODEL_SERVER_ADDRESS: modelServer.address,
  });
}, 120_000);

afterAll(async () => {
  await router?.stop();
  await modelServer?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('forms one trace with correct parent links across the router and the model-server for a 3-hop graph', async () => {
  const client = inferenceClient(router.address);
  const response = await call(client, client.modelInfer, irisRequest('iris-sequence'));
  client.close();
  const traceId = String(param(response, 'sightline.trace_id'));
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(param(response, 'sightline.path')).toBe('pipeline,first,second,third');

  const inTrace = () => spans.filter((s) => s.traceId === traceId);
  const modelInfers = () =>
    inTrace().filter((s) => s.service === 'sightline-model-server' && s.name.endsWith('/ModelInfer'));
  const deadline = Date.now() + 15_000;
  while (
    Date.now() < deadline &&
    (modelInfers().length < 3 ||
      !inTrace().some((s) => s.parentSpanId === '' || s.parentSpanId === undefined))
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const trace = inTrace();
  const ids = new Set(trace.map((s) => s.spanId));
  const roots = trace.filter((s) => !s.parentSpanId);
  expect(roots).toEqual([
    expect.objectContaining({
      service: 'sightline-router',
      name: 'inference.GRPCInferenceService/ModelInfer',
      kind: SPAN_KIND_SERVER,
    }),
  ]);
  for (const span of trace)
    if (span.parentSpanId) expect(ids.has(span.parentSpanId), `${span.service} ${span.name}`).toBe(true);

  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const nodes = trace.filter((s) => s.name.startsWith('graph.node '));
  expect(nodes.map((s) => s.name).sort()).toEqual([
    'graph.node first',
    'graph.node pipeline',
    'graph.node second',
    'graph.node third',
  ]);
  for (const hop of ['first', 'second', 'third']) {
    expect(byId.get(nodes.find((n) => n.name === `graph.node ${hop}`)!.parentSpanId)?.name).toBe(
      'graph.node pipeline',
    );
  }
  expect(modelInfers()).toHaveLength(3);
  for (const server of modelInfers()) {
    const parent = byId.get(server.parentSpanId)!;
    expect(parent).toMatchObject({ service: 'sightline-router', kind: SPAN_KIND_CLIENT });
    expect(byId.get(parent.parentSpanId)?.name).toMatch(/^graph\.node (first|second|third)$/);
  }
}, 60_000);
