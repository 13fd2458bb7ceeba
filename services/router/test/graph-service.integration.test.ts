/**
 * GraphService over real gRPC on loopback, with no model-server: what a caller may send it
 * (concurrent applies and deletes of one name, documents it should refuse) and what the
 * router keeps on disk afterwards. Upstream addresses in these graphs are never called.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { routerV1 } from '@sightline/contracts';
import { memoryLogger, silentLogger } from '@sightline/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, graphClient, inferenceClient, irisRequest } from './helpers/v2-calls.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function router(dataDir: string, flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const handle: RouterHandle = await startRouter(
    testRouterConfig({ defaultModelServer: '127.0.0.1:1', dataDir, passThrough: 'false', ...flags }),
    { logger: silentLogger(), env },
  );
  const graphs = graphClient(handle.grpcAddress);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    graphs.close();
    await handle.shutdown();
  };
  cleanups.push(stop);
  const apply = (text: string): Promise<routerV1.ApplyGraphResponse> =>
    call(graphs, graphs.applyGraph, { document: { format: 0, text } });
  const get = (name: string): Promise<routerV1.GetGraphResponse> => call(graphs, graphs.getGraph, { name });
  return { handle, graphs, apply, get, stop };
}

const version = (name: string, v: number) => `
name: ${name}
description: "v${v}"
root: n
nodes: [{ name: n, model: { address: "127.0.0.1:1", modelName: "m${v}" } }]
`;

/** The description of the served graph, or undefined when none is served. */
async function served(get: (name: string) => Promise<routerV1.GetGraphResponse>, name: string) {
  try {
    return (await get(name)).graph?.graph?.description;
  } catch (error) {
    expect((error as ServiceError).code).toBe(status.NOT_FOUND);
    return undefined;
  }
}

/** The description in the graph's file under --data-dir, or undefined when there is none. */
async function onDisk(dataDir: string, name: string) {
  try {
    const file = JSON.parse(await readFile(path.join(dataDir, 'graphs', `${name}.json`), 'utf8'));
    return file.graph.description as string;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    return undefined;
  }
}

describe('concurrent ApplyGraph and DeleteGraph of one graph name', () => {
  it('answers every call, keeps the file equal to the served graph, and serves the last acknowledged one after a restart', async () => {
    const dataDir = await tempDir('router-graph-race-');
    const first = await router(dataDir);
    const calls: Promise<string>[] = [];
    for (let v = 1; v <= 20; v++) {
      calls.push(first.apply(version('race', v)).then(() => `applied v${v}`));
      if (v % 4 === 0) {
        calls.push(
          call(first.graphs, first.graphs.deleteGraph, { name: 'race' }).then(
            () => 'deleted',
            (error: ServiceError) => {
              // Only "not found" (a delete that ran after another delete) is an answer here.
              expect(error.code).toBe(status.NOT_FOUND);
              expect(error.details).toMatch(/race/);
              return 'not found';
            },
          ),
        );
      }
    }
    const answers = await Promise.all(calls);
    expect(answers.filter((a) => a.startsWith('applied'))).toHaveLength(20);
    const before = await served(first.get, 'race');
    expect(await onDisk(dataDir, 'race')).toBe(before);
    expect((await readdir(path.join(dataDir, 'graphs'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await first.stop();

    const second = await router(dataDir);
    expect(await served(second.get, 'race')).toBe(before);
    await second.stop();
  });
});

describe('bytes that are no request', () => {
  it('answer ModelMetadata and ModelReady with INVALID_ARGUMENT naming the message, as ModelInfer', async () => {
    const r = await router(await tempDir('router-malformed-'));
    const raw = new Client(r.handle.grpcAddress, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const send = (method: string, bytes: Buffer) =>
      new Promise<{ code: number; details: string }>((resolve) =>
        raw.makeUnaryRequest(
          `/inference.GRPCInferenceService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          { deadline: Date.now() + 5000 },
          (error) => resolve(error ? { code: error.code, details: error.details } : { code: 0, details: '' }),
        ),
      );
    for (const method of ['ModelMetadata', 'ModelReady']) {
      expect(await send(method, Buffer.from([0x0a, 0x05, 0x01]))).toEqual({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(new RegExp(`^${method}Request: malformed protobuf: `)),
      });
    }
  });
});

describe('deeply nested documents', () => {
  it('are INVALID_ARGUMENT on ApplyGraph and ValidateGraph naming the limit, and one log sentence as a file at start', async () => {
    const dataDir = await tempDir('router-deep-');
    const graphsDir = path.join(dataDir, 'files');
    await mkdir(graphsDir);
    const deepJson = `{"name":"deep","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    await writeFile(path.join(graphsDir, 'deep.json'), deepJson);
    const { logger, lines } = memoryLogger();
    const handle = await startRouter(
      testRouterConfig({
        defaultModelServer: '127.0.0.1:1',
        dataDir,
        passThrough: 'false',
        graphs: graphsDir,
      }),
      { logger, env: {} },
    );
    cleanups.push(() => handle.shutdown());
    const graphs = graphClient(handle.grpcAddress);
    cleanups.push(() => graphs.close());
    const errors = lines.filter((l) => l.level === 50 || l.level === 'error');
    expect(errors).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(/^deep\.json: lists and objects nested deeper than 64 levels/),
      }),
    ]);

    const deepYaml = `name: deep\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    for (const text of [deepJson, deepYaml]) {
      await expect(call(graphs, graphs.applyGraph, { document: { format: 0, text } })).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(
          /nested deeper than 64 levels \(--max-graph-document-depth\).*document\.max_depth/,
        ),
      });
      const validated = await call(graphs, graphs.validateGraph, { document: { format: 0, text } });
      expect(validated.valid).toBe(false);
      expect(validated.problems.map((p) => p.rule)).toEqual(['document.max_depth']);
    }
  });
});

describe('environment variables in graph documents', () => {
  it('reads only --graph-env-allowlist variables in documents sent over GraphService; --graphs files read any', async () => {
    const dataDir = await tempDir('router-env-');
    const graphsDir = path.join(dataDir, 'files');
    await mkdir(graphsDir);
    const dollar = '$';
    const graph = (name: string, description: string) =>
      `name: ${name}\ndescription: "${description}"\nroot: n\nnodes: [{ name: n, model: { address: "${dollar}{MODEL_SERVER_ADDRESS}", modelName: m } }]\n`;
    await writeFile(path.join(graphsDir, 'from-file.yaml'), graph('from-file', `${dollar}{ROUTER_SECRET}`));
    const env = { MODEL_SERVER_ADDRESS: '127.0.0.1:1', ROUTER_SECRET: 'hunter2' };
    const r = await router(dataDir, { graphs: graphsDir }, env);
    expect((await r.get('from-file')).graph?.graph?.description).toBe('hunter2');

    const applied = await r.apply(graph('allowed', 'plain'));
    expect(applied.graph?.graph?.nodes[0]?.model?.address).toBe('127.0.0.1:1');
    const leaking = graph('leak', `${dollar}{ROUTER_SECRET}`);
    await expect(r.apply(leaking)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        /environment variable ROUTER_SECRET may not be read by a graph sent over GraphService; allowed: MODEL_SERVER_ADDRESS \(--graph-env-allowlist\) \[document\.env_allowed\]/,
      ),
    });
    const validated = await call(r.graphs, r.graphs.validateGraph, {
      document: { format: 0, text: leaking },
    });
    expect(validated.valid).toBe(false);
    expect(JSON.stringify(validated)).not.toContain('hunter2');
    await r.stop();

    const none = await router(await tempDir('router-env-none-'), { graphEnvAllowlist: '' }, env);
    await expect(none.apply(graph('none', 'plain'))).rejects.toMatchObject({
      details: expect.stringMatching(/MODEL_SERVER_ADDRESS may not be read .*; allowed: none/),
    });
  });
});

describe('metrics of deleted graphs and nodes', () => {
  it('stops exporting a node on re-apply without it, and every series of a graph on DeleteGraph', async () => {
    const r = await router(await tempDir('router-series-'));
    const client = inferenceClient(r.handle.grpcAddress);
    cleanups.push(() => client.close());
    const breaking = (node: string) => `
name: cb
root: ${node}
nodes:
  - name: ${node}
    policy: { circuitBreaker: { failureThreshold: 1, openDurationMs: 60000 } }
    model: { address: "127.0.0.1:1", modelName: m }
`;
    const scrape = async () => (await fetch(`http://127.0.0.1:${r.handle.httpPort}/metrics`)).text();
    const seriesOf = (text: string, node: string) =>
      text.split('\n').filter((l) => l.startsWith('sightline_router_') && l.includes(`node="${node}"`));
    const fail = () => expect(call(client, client.modelInfer, irisRequest('cb'))).rejects.toMatchObject({});

    await r.apply(breaking('old'));
    await fail();
    await fail();
    const before = await scrape();
    expect(seriesOf(before, 'old')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^sightline_router_circuit_breaker_state\{graph="cb",node="old",address="127\.0\.0\.1:1"[^}]*\} 2$/,
        ),
        expect.stringMatching(/^sightline_router_node_errors_total\{graph="cb",node="old",/),
        expect.stringMatching(/^sightline_router_node_duration_seconds_count\{graph="cb",node="old",/),
      ]),
    );

    await r.apply(breaking('new'));
    await fail();
    const reapplied = await scrape();
    expect(seriesOf(reapplied, 'old')).toEqual([]);
    expect(seriesOf(reapplied, 'new')).not.toEqual([]);
    expect(reapplied).toMatch(
      /sightline_router_request_duration_seconds_count\{graph="cb",code="UNAVAILABLE"[^}]*\} 3/,
    );

    await call(r.graphs, r.graphs.deleteGraph, { name: 'cb' });
    const deleted = await scrape();
    expect(deleted.split('\n').filter((l) => l.includes('graph="cb"'))).toEqual([]);
  });
});
