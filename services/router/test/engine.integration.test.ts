/**
 * The execution engine over real gRPC, against fake upstreams written in the test: circuit
 * breaker trials (issue 8, defect 1), shared sub-graphs run once per request and the call
 * budget (defect 3), mirror fan-out (defect 13) and one trace id per request on answers,
 * errors, events and upstream calls (defect 11).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { inference, type routerV1 } from '@sightline/contracts';
import type { DeferredInferenceEvent, InferenceEvent } from '@sightline/events';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { fakeInferenceService, fakeRawInferenceEndpoint } from './helpers/fake-services.js';
import { diamondStack } from './helpers/graph-shapes.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, graphClient, inferenceClient, irisRequest, param } from './helpers/v2-calls.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A grpc-js status error as a handler throws it. */
function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(details), { code, details });
}

/** An echoing model answer named after the request's model. */
function answer(request: inference.ModelInferRequest): inference.ModelInferResponse {
  return inference.ModelInferResponse.fromPartial({
    modelName: request.modelName,
    modelVersion: '1',
    outputs: [{ name: 'output', datatype: 'FP32', shape: [1n, 1n], contents: { fp32Contents: [1] } }],
  });
}

/** A router with in-test events, its clients, stopped after the file. */
async function router(upstream: string, flags: Record<string, unknown> = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'router-engine-'));
  const events: InferenceEvent[] = [];
  const handle: RouterHandle = await startRouter(
    testRouterConfig({ defaultModelServer: upstream, dataDir, ...flags }),
    {
      logger: silentLogger(),
      events: { emitDeferred: (event: DeferredInferenceEvent) => events.push(event.build()) },
    },
  );
  const client = inferenceClient(handle.grpcAddress);
  const graphs = graphClient(handle.grpcAddress);
  cleanups.push(async () => {
    client.close();
    graphs.close();
    await handle.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const apply = (text: string): Promise<routerV1.ApplyGraphResponse> =>
    call(graphs, graphs.applyGraph, { document: { format: 0, text } });
  const infer = (model: string, headers: Record<string, string> = {}) =>
    call(client, client.modelInfer, irisRequest(model), { headers });
  return { handle, client, graphs, apply, infer, events };
}

describe('circuit breaker over gRPC (defect 1)', () => {
  it('closes after a half-open trial answered NOT_FOUND, and a re-applied graph starts closed', async () => {
    const script = [status.UNAVAILABLE, status.UNAVAILABLE, status.NOT_FOUND];
    let calls = 0;
    const upstream = await fakeInferenceService(async (request) => {
      calls += 1;
      const code = script.shift();
      if (code !== undefined) throw grpcError(code, `scripted ${status[code]}`);
      return answer(request);
    });
    cleanups.push(() => upstream.stop());
    const { apply, infer } = await router(upstream.address);
    const graph = `
name: cb
root: m
nodes:
  - name: m
    policy: { circuitBreaker: { failureThreshold: 2, openDurationMs: 300 } }
    model: { modelName: m }
`;
    await apply(graph);
    for (let i = 0; i < 2; i++) await expect(infer('cb')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(infer('cb')).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringMatching(/circuit breaker open/),
    });
    await new Promise((r) => setTimeout(r, 350));
    await expect(infer('cb')).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(infer('cb')).resolves.toBeDefined();
    expect(calls).toBe(4);

    // Open it again, then re-apply the graph: fresh breakers, the next call goes out.
    script.push(status.UNAVAILABLE, status.UNAVAILABLE);
    for (let i = 0; i < 2; i++) await expect(infer('cb')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(infer('cb')).rejects.toMatchObject({
      details: expect.stringMatching(/circuit breaker open/),
    });
    await apply(graph);
    await expect(infer('cb')).resolves.toBeDefined();
  });
});

describe('shared sub-graphs and the call budget (defects 3 and 13)', () => {
  it('calls each model of a depth-12 diamond stack once per request, and refuses depth 40', async () => {
    const calls = new Map<string, number>();
    const upstream = await fakeInferenceService(async (request) => {
      calls.set(request.modelName, (calls.get(request.modelName) ?? 0) + 1);
      return answer(request);
    });
    cleanups.push(() => upstream.stop());
    const { apply, infer } = await router(upstream.address);
    await apply(diamondStack(12));
    await infer('diamonds');
    await infer('diamonds');
    expect(Object.fromEntries(calls)).toEqual({ a: 2, b: 2 });

    await expect(apply(diamondStack(40))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/41 nodes deep .*at most 32 \(--max-graph-depth\) \[graph\.max_depth\]/),
    });
  });

  it('refuses a shadow with more mirrors than --max-mirrors-per-shadow', async () => {
    const upstream = await fakeInferenceService(async (request) => answer(request));
    cleanups.push(() => upstream.stop());
    const { apply } = await router(upstream.address, { maxMirrorsPerShadow: 2 });
    const graph = (mirrors: number) =>
      [
        'name: wide',
        'root: sh',
        'nodes:',
        `  - { name: sh, shadow: { primary: p, mirrors: [${Array.from({ length: mirrors }, (_, i) => `m${i}`).join(', ')}] } }`,
        '  - { name: p, model: { modelName: p } }',
        ...Array.from({ length: mirrors }, (_, i) => `  - { name: m${i}, model: { modelName: m${i} } }`),
      ].join('\n');
    await expect(apply(graph(2))).resolves.toBeDefined();
    await expect(apply(graph(3))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(
        'shadow has 3 mirrors; at most 2 (--max-mirrors-per-shadow) [shadow.max_mirrors]',
      ),
    });
  });
});

describe('one trace id per request, tracing off (defect 11)', () => {
  /** An upstream recording each call's model and traceparent; models named `fail*` answer NOT_FOUND. */
  async function tracingUpstream() {
    const seen: { model: string; traceparent: string | undefined }[] = [];
    const upstream = await fakeRawInferenceEndpoint((c, done) => {
      const request = inference.ModelInferRequest.decode(c.request);
      seen.push({ model: request.modelName, traceparent: c.metadata.get('traceparent')[0]?.toString() });
      if (request.modelName.startsWith('fail')) {
        done({ code: status.NOT_FOUND, details: `model "${request.modelName}" not found` });
        return;
      }
      done(null, Buffer.from(inference.ModelInferResponse.encode(answer(request)).finish()));
    });
    cleanups.push(() => upstream.stop());
    return { upstream, seen };
  }
  const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

  it('makes a trace id when the caller sent none: on the answer, the event and the upstream call', async () => {
    const { upstream, seen } = await tracingUpstream();
    const { infer, events } = await router(upstream.address);
    const response = await infer('iris');
    const traceId = String(param(response, 'sightline.trace_id'));
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toMatch(/^0+$/);
    expect(seen.map((s) => traceIdOf(s.traceparent))).toEqual([traceId]);
    expect(seen[0]!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const event = events.find((e) => e.requestId !== '' && traceIdOf(e.trace?.traceparent) === traceId);
    expect(event).toBeDefined();
    // Each request gets its own.
    const second = await infer('iris');
    expect(param(second, 'sightline.trace_id')).not.toBe(traceId);
  });

  it("answers an error with the request's trace id in the trailing metadata, the same as its event's", async () => {
    const { upstream, seen } = await tracingUpstream();
    const { infer, events } = await router(upstream.address);
    const error = (await infer('fail-model').catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.NOT_FOUND);
    const traceId = error.metadata.get('sightline-trace-id')[0]?.toString();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.map((s) => traceIdOf(s.traceparent))).toEqual([traceId]);
    expect(
      events.filter((e) => traceIdOf(e.trace?.traceparent) === traceId).map((e) => e.statusCode),
    ).toEqual(['NOT_FOUND']);

    // Refused before any upstream is called: still a trace id.
    const missing = (await infer('').catch((e: unknown) => e)) as ServiceError;
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.metadata.get('sightline-trace-id')[0]?.toString()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives a failed ModelStreamInfer message the trace id in its parameters', async () => {
    const { upstream } = await tracingUpstream();
    const { client } = await router(upstream.address);
    const stream = client.modelStreamInfer();
    const answered = new Promise<inference.ModelStreamInferResponse>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write(irisRequest('fail-model'));
    const message = await answered;
    stream.end();
    expect(message.errorMessage).toMatch(/NOT_FOUND/);
    expect(message.inferResponse?.parameters['sightline.trace_id']?.stringParam).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses malformed ModelInfer and ModelStreamInfer bytes as INVALID_ARGUMENT, with a trace id', async () => {
    const { upstream, seen } = await tracingUpstream();
    const { client } = await router(upstream.address);
    // Field 1 (model_name) announcing 5 bytes, holding 1.
    const truncated = Buffer.from([0x0a, 0x05, 0x61]);
    const unary = await new Promise<ServiceError | null>((resolve) =>
      (client as Client).makeUnaryRequest(
        inference.GRPCInferenceServiceService.modelInfer.path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        truncated,
        new Metadata(),
        (error: ServiceError | null) => resolve(error),
      ),
    );
    expect(unary?.code).toBe(status.INVALID_ARGUMENT);
    expect(unary?.details).toBe('ModelInferRequest: malformed protobuf: premature EOF');
    expect(unary?.metadata.get('sightline-trace-id')[0]?.toString()).toMatch(/^[0-9a-f]{32}$/);

    const stream = (client as Client).makeBidiStreamRequest(
      inference.GRPCInferenceServiceService.modelStreamInfer.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      new Metadata(),
    );
    const answers: inference.ModelStreamInferResponse[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => answers.push(inference.ModelStreamInferResponse.decode(b)));
      stream.on('error', reject);
      stream.on('end', resolve);
    });
    // An end-group tag at the top level: no message (a lenient decode reads an empty request).
    stream.write(Buffer.from([0x0c]));
    stream.write(truncated);
    stream.end();
    await ended;
    expect(answers.map((a) => a.errorMessage).sort()).toEqual([
      'ModelInferRequest: malformed protobuf: end-group tag (field 1) without a start group at byte 0',
      'ModelInferRequest: malformed protobuf: premature EOF',
    ]);
    for (const a of answers) {
      expect(a.inferResponse?.modelName).toBe('');
      expect(a.inferResponse?.parameters['sightline.trace_id']?.stringParam).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(seen).toEqual([]);
  });

  it("gives a mirror's event the request's trace id, the caller's or a new one", async () => {
    const { upstream, seen } = await tracingUpstream();
    const { apply, infer, events } = await router(upstream.address);
    await apply(`
name: shadowed
root: sh
nodes:
  - { name: sh, shadow: { primary: p, mirrors: [m] } }
  - { name: p, model: { modelName: primary } }
  - { name: m, model: { modelName: mirror } }
`);
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = await infer('shadowed', { traceparent: `00-${callerTraceId}-00f067aa0ba902b7-01` });
    const untraced = await infer('shadowed');
    const madeTraceId = String(param(untraced, 'sightline.trace_id'));
    expect(param(traced, 'sightline.trace_id')).toBe(callerTraceId);
    await expect
      .poll(() => events.filter((e) => e.responseParameters['sightline.shadow'] === true).length)
      .toBe(2);
    for (const traceId of [callerTraceId, madeTraceId]) {
      const ofTrace = events.filter((e) => traceIdOf(e.trace?.traceparent) === traceId);
      expect(ofTrace.map((e) => e.responseParameters['sightline.shadow'] === true).sort()).toEqual([
        false,
        true,
      ]);
      expect(
        seen
          .filter((s) => traceIdOf(s.traceparent) === traceId)
          .map((s) => s.model)
          .sort(),
      ).toEqual(['mirror', 'primary']);
    }
  });
});
