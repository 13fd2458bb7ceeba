/**
 * The execution engine over real gRPC, against fake upstreams written in the test: circuit
 * breaker trials (issue 8, defect 1), shared sub-graphs run once per request and the call
 * budget (defect 3), mirror fan-out (defect 13) and one trace id per request on answers,
 * errors, events and upstream calls (defect 11).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { inference, type routerV1 } from '@sightline/contracts';
import type { DeferredInferenceEvent, InferenceEvent } from '@sightline/events';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { fakeInferenceService } from './helpers/fake-services.js';
import { diamondStack } from './helpers/graph-shapes.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, graphClient, inferenceClient, irisRequest } from './helpers/v2-calls.js';

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
