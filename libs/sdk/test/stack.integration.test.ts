/**
 * The SDK against a real model-server (examples/models) and a real router
 * (examples/graphs) started as child processes on 127.0.0.1 ephemeral ports: every call
 * of the inference, models and graphs clients, and the errors the servers answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  NotFoundError,
  Sightline,
  SightlineError,
  type StreamInferAnswer,
  traceIdOf,
  UnimplementedError,
} from '../src/index.js';
import { type ChildService, startModelServer, startRouter } from './helpers/child-service.js';

const SETOSA = [5.1, 3.5, 1.4, 0.2];
const VIRGINICA = [6.9, 3.1, 5.4, 2.1];

let modelServer: ChildService;
let router: ChildService;
let dataDir: string;
let sightline: Sightline;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sdk-router-'));
  modelServer = await startModelServer();
  router = await startRouter(modelServer.address, dataDir);
  sightline = new Sightline({ addresses: { router: router.address, modelServer: modelServer.address } });
});

afterAll(async () => {
  sightline?.close();
  await router?.stop();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The class a probability row ranks first. */
const argmax = (row: readonly number[]) => row.indexOf(Math.max(...row));

describe('inference', () => {
  it('answers liveness, readiness and metadata of the router and the model-server', async () => {
    expect(await sightline.inference.serverLive()).toBe(true);
    expect(await sightline.inference.serverReady()).toBe(true);
    expect(await sightline.inference.modelReady('iris')).toBe(true);
    const direct = sightline.inferenceAt(modelServer.address);
    expect(await direct.serverReady()).toBe(true);
    expect((await direct.serverMetadata()).extensions).toContain('model_repository');
    const metadata = await direct.modelMetadata('iris');
    expect(metadata.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    expect(metadata.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }]);
    const config = await direct.modelConfig('iris');
    expect(config?.name).toBe('iris');
  });

  it('infers through the router from nested arrays, raw by default, with id, parameters and trace id', async () => {
    const result = await sightline.inference.infer('iris', { input: [SETOSA, VIRGINICA] }, { id: 'sdk-1' });
    const probabilities = result.output('probabilities');
    expect(probabilities.datatype).toBe('FP32');
    expect(probabilities.shape).toEqual([2, 3]);
    const rows = probabilities.toNested() as number[][];
    expect(rows.map(argmax)).toEqual([0, 2]);
    for (const row of rows) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(result.id).toBe('sdk-1');
    expect(result.model).toBe('iris');
    expect(result.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('infers from a typed array with a given shape, with typed contents on request', async () => {
    const data = Float32Array.from([...SETOSA, ...VIRGINICA]);
    const raw = await sightline.inference.infer('iris', [{ name: 'input', data, shape: [2, 4] }]);
    const typed = await sightline.inference.infer('iris', [{ name: 'input', data, shape: [2, 4] }], {
      contents: 'typed',
      outputs: ['probabilities'],
    });
    expect([...(typed.output('probabilities').data as Float32Array)]).toEqual([
      ...(raw.output('probabilities').data as Float32Array),
    ]);
  });

  it('sends request parameters and headers a switch graph routes on', async () => {
    const byParameter = await sightline.inference.infer(
      'iris-switch',
      { input: [SETOSA] },
      { parameters: { runtime: 'tfjs' } },
    );
    const byHeader = await sightline.inference.infer(
      'iris-switch',
      { input: [SETOSA] },
      { headers: { 'x-iris-runtime': 'tfjs' } },
    );
    const byDefault = await sightline.inference.infer('iris-switch', { input: [SETOSA] });
    expect(byParameter.parameters['sightline.path']).toMatch(/tfjs/);
    expect(byHeader.parameters['sightline.path']).toMatch(/tfjs/);
    expect(byDefault.parameters['sightline.path']).toMatch(/onnx/);
  });

  it('streams requests on ModelStreamInfer, answering each, errors in-stream', async () => {
    const answers: StreamInferAnswer[] = [];
    for await (const answer of sightline.inferenceAt(modelServer.address).stream([
      { model: 'iris', inputs: { input: [SETOSA] }, id: 'a' },
      { model: 'iris', inputs: { input: [[1, 2, 3]] }, id: 'bad' },
      { model: 'iris', inputs: { input: [VIRGINICA] }, id: 'b' },
    ])) {
      answers.push(answer);
    }
    expect(answers).toHaveLength(3);
    const ok = answers.filter((answer) => answer.ok);
    expect(ok.map((answer) => answer.result.id).sort()).toEqual(['a', 'b']);
    const failed = answers.find((answer) => !answer.ok);
    expect(failed?.ok === false && failed.error.message).toMatch(/input "input"/);
    expect(failed?.ok === false && failed.error.field).toBe('input "input"');
  });

  it('answers NOT_FOUND for an unknown model and INVALID_ARGUMENT naming the input', async () => {
    const unknown = await sightline.inference
      .infer('no-such-model', { input: [SETOSA] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as SightlineError).code).toBe('NOT_FOUND');
    expect((unknown as SightlineError).message).toMatch(/no-such-model/);

    const direct = sightline.inferenceAt(modelServer.address);
    const bad = await direct.infer('iris', { input: [[1, 2, 3]] }).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect((bad as SightlineError).field).toBe('input "input"');
    expect((bad as SightlineError).message).toMatch(/^input "input": /);
  });

  it('leads a failed routed request to its trace id', async () => {
    const bad = await sightline.inference
      .infer('iris', { input: [[1, 2, 3]] })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(SightlineError);
    expect(traceIdOf(bad)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers UNIMPLEMENTED for repository calls the router does not serve', async () => {
    const atRouter = new Sightline({ address: router.address });
    try {
      await expect(atRouter.models.index()).rejects.toBeInstanceOf(UnimplementedError);
    } finally {
      atRouter.close();
    }
  });
});

describe('models', () => {
  it('lists the repository, unloads, loads again, and reports statistics', async () => {
    const index = await sightline.models.index();
    expect(index.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['iris', 'iris-tfjs', 'convnet']),
    );
    expect(index.find((entry) => entry.name === 'iris')?.state).toBe('READY');

    await sightline.models.unload('convnet');
    const direct = sightline.inferenceAt(modelServer.address);
    expect(await direct.modelReady('convnet')).toBe(false);
    await sightline.models.load('convnet');
    expect(await direct.modelReady('convnet')).toBe(true);

    await direct.infer('iris', { input: [SETOSA] });
    const [stats] = await sightline.models.statistics('iris');
    expect(stats?.name).toBe('iris');
    expect(stats?.inferenceCount).toBeGreaterThan(0n);
  });

  it('answers NOT_FOUND for a model the repository lacks', async () => {
    await expect(sightline.models.load('no-such-model')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('graphs', () => {
  const spec = (description: string) => `
name: sdk-test
description: ${description}
root: n
nodes: [{ name: n, model: { address: "\${MODEL_SERVER_ADDRESS}", modelName: iris } }]
`;

  it('applies, gets, lists, infers on, validates and deletes a graph', async () => {
    const first = await sightline.graphs.apply(spec('first'));
    expect(first.created).toBe(true);
    expect(first.graph.generation).toBe(1n);
    const second = await sightline.graphs.apply({ text: spec('second'), format: 'yaml' });
    expect(second.created).toBe(false);
    expect(second.graph.generation).toBe(2n);

    expect((await sightline.graphs.get('sdk-test')).graph?.description).toBe('second');
    const names: string[] = [];
    for await (const graph of sightline.graphs.listAll({ pageSize: 2 })) names.push(graph.graph?.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['iris', 'iris-switch', 'sdk-test']));
    expect(names).toEqual([...names].sort());

    const result = await sightline.inference.infer('sdk-test', { input: [SETOSA] });
    expect(argmax((result.output('probabilities').toNested() as number[][])[0]!)).toBe(0);

    await sightline.graphs.delete('sdk-test');
    await expect(sightline.graphs.get('sdk-test')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('validates a spec into problems as data, and apply refuses it naming the rule', async () => {
    const broken = { spec: { name: 'sdk-broken', root: 'missing', nodes: [] } };
    const validation = await sightline.graphs.validate(broken);
    expect(validation.valid).toBe(false);
    expect(validation.problems.map((problem) => problem.rule)).toContain('root.exists');
    const refused = await sightline.graphs.apply(broken).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toMatch(/missing/);
  });

  it('names the field of a bad page size', async () => {
    const refused = await sightline.graphs.list({ pageSize: 5000 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as SightlineError).field).toBe('page_size');
  });
});
