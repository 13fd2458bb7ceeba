/**
 * The model-server's Open Inference Protocol v2 API, called over real gRPC on loopback with
 * the generated grpc-js client: health and metadata, inference with typed and raw
 * contents, output selection, every datatype family, streams, statistics, the repository
 * index and /metrics.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { decodeInferOutputs, encodeInferInputs, type Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import {
  argmaxRows,
  IRIS_ROWS,
  IRIS_SPECIES,
  irisFeatures,
  referenceProbabilities,
  tfjsReferenceProbabilities,
} from './helpers/iris.js';
import { createTempRepository, type TempRepository } from './helpers/temp-repository.js';
import { expectStatus } from './helpers/v2-client.js';

const irisInput = (rows: readonly (readonly number[])[] = IRIS_ROWS): Tensor => ({
  name: 'input',
  datatype: 'FP32',
  shape: [rows.length, 4],
  data: irisFeatures(rows),
});

/** The single output tensor named `name` of a decoded response. */
function output(tensors: readonly Tensor[], name: string): Tensor {
  const found = tensors.find((t) => t.name === name);
  if (!found) throw new Error(`no output "${name}" in [${tensors.map((t) => t.name).join(', ')}]`);
  return found;
}

describe('model-server over gRPC (generated grpc-js client)', () => {
  let repo: TempRepository;
  let h: InProcessServer;
  let reference: Float32Array;

  beforeAll(async () => {
    repo = await createTempRepository({
      iris: { example: 'iris' },
      'iris-tfjs': { example: 'iris-tfjs' },
      convnet: { example: 'convnet' },
      add: { fixture: 'add.onnx', config: 'platform: onnx\nmax_batch_size: 8\n' },
      mixed: { fixture: 'mixed.onnx' },
      // Never called: statistics of a READY model without traffic.
      idle: { fixture: 'add.onnx' },
      // iris with Triton's label_filename on its output, for classification.
      'iris-labelled': {
        example: 'iris',
        config: [
          'platform: onnx',
          'max_batch_size: 8',
          'inputs: [{ name: input, datatype: FP32, shape: [-1, 4] }]',
          'outputs: [{ name: probabilities, datatype: FP32, shape: [-1, 3], label_filename: species.txt }]',
          'execution_mode: inline',
        ].join('\n'),
      },
    });
    await writeFile(path.join(repo.root, 'iris-labelled', 'species.txt'), 'setosa\nversicolor\nvirginica\n');
    h = await startInProcessServer(repo.root);
    reference = await referenceProbabilities();
  });

  afterAll(async () => {
    await h?.stop();
    await repo?.cleanup();
  });

  it('answers ServerLive, ServerReady and ServerMetadata with its extensions', async () => {
    expect(await h.client.serverLive()).toEqual({ live: true });
    expect(await h.client.serverReady()).toEqual({ ready: true });
    const metadata = await h.client.serverMetadata();
    expect(metadata.name).toBe('sightline-model-server');
    expect(metadata.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(metadata.extensions).toEqual(
      expect.arrayContaining(['model_repository', 'model_configuration', 'statistics', 'binary_tensor_data']),
    );
  });

  it('answers ModelReady per model and version', async () => {
    expect((await h.client.modelReady('iris')).ready).toBe(true);
    expect((await h.client.modelReady('iris', '1')).ready).toBe(true);
    expect((await h.client.modelReady('iris', '2')).ready).toBe(false);
    expect((await h.client.modelReady('no-such-model')).ready).toBe(false);
  });

  it('describes the iris model in ModelMetadata with its batch dimension', async () => {
    expect(await h.client.modelMetadata('iris')).toEqual({
      name: 'iris',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1n, 3n] }],
      // A local example without lineage: no source_uri, no lineage.* parameters.
      parameters: {},
    });
    const tfjs = await h.client.modelMetadata('iris-tfjs', '1');
    expect(tfjs.platform).toBe('tensorflow_js');
    expect(tfjs.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }]);
    const convnet = await h.client.modelMetadata('convnet');
    expect(convnet.inputs).toEqual([{ name: 'image', datatype: 'FP32', shape: [-1n, 3n, 64n, 64n] }]);
    expect(convnet.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1n, 10n] }]);
  });

  it('infers iris with typed contents: typed answer, the same probabilities as onnxruntime-node in-process', async () => {
    const response = await h.client.modelInfer({
      modelName: 'iris',
      id: 'typed-1',
      inputs: encodeInferInputs([irisInput()], 'typed').inputs,
    });
    expect(response.modelName).toBe('iris');
    expect(response.modelVersion).toBe('1');
    expect(response.id).toBe('typed-1');
    expect(response.rawOutputContents).toEqual([]);
    expect(response.outputs).toHaveLength(1);
    const [probabilities] = response.outputs;
    expect(probabilities?.name).toBe('probabilities');
    expect(probabilities?.datatype).toBe('FP32');
    expect(probabilities?.shape).toEqual([BigInt(IRIS_ROWS.length), 3n]);
    // Typed FP32 travels as float on the wire, so the values are the same floats bit for bit.
    expect(probabilities?.contents?.fp32Contents).toEqual([...reference]);
    expect(argmaxRows(reference, 3)).toEqual(IRIS_SPECIES);
  });

  it('infers iris with raw contents: raw answer, the same probabilities as onnxruntime-node in-process', async () => {
    const response = await h.client.modelInfer({
      modelName: 'iris',
      modelVersion: '1',
      id: 'raw-1',
      ...encodeInferInputs([irisInput()], 'raw'),
    });
    expect(response.id).toBe('raw-1');
    expect(response.outputs[0]?.contents).toBeUndefined();
    expect(response.rawOutputContents).toHaveLength(1);
    expect(response.rawOutputContents[0]?.byteLength).toBe(IRIS_ROWS.length * 3 * 4);
    const decoded = output(decodeInferOutputs(response), 'probabilities');
    expect(decoded.shape).toEqual([IRIS_ROWS.length, 3]);
    expect(decoded.data).toEqual(reference);
  });

  it('answers with raw contents to a typed request that asks for binary_data on an output', async () => {
    const response = await h.client.modelInfer({
      modelName: 'iris',
      inputs: encodeInferInputs([irisInput()], 'typed').inputs,
      outputs: [{ name: 'probabilities', parameters: { binary_data: { boolParam: true } } }],
    });
    expect(response.outputs[0]?.contents).toBeUndefined();
    expect(response.rawOutputContents).toHaveLength(1);
    expect(output(decodeInferOutputs(response), 'probabilities').data).toEqual(reference);
  });

  it('serves the TF.js iris model: its own weights computed by hand, and the same species as the ONNX one', async () => {
    const response = await h.client.modelInfer({
      modelName: 'iris-tfjs',
      ...encodeInferInputs([irisInput()], 'raw'),
    });
    const data = output(decodeInferOutputs(response), 'probabilities').data as Float32Array;
    const expected = await tfjsReferenceProbabilities();
    expect(data).toHaveLength(expected.length);
    // float32 on the server against float64 here: equal to well within 1e-5.
    for (let i = 0; i < data.length; i++) expect(Math.abs(data[i]! - expected[i]!)).toBeLessThan(1e-5);
    // A separately trained network, so not the ONNX numbers, but the same answer per flower.
    expect(argmaxRows(data, 3)).toEqual(IRIS_SPECIES);
    expect(argmaxRows(data, 3)).toEqual(argmaxRows(reference, 3));
  });

  it('returns only the requested outputs, in typed contents for a typed request', async () => {
    const x = new Float32Array([1, 2, 3, 4, -1, -2, -3, -4]);
    const inputs = encodeInferInputs(
      [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: x }],
      'typed',
    ).inputs;
    const one = await h.client.modelInfer({ modelName: 'add', inputs, outputs: [{ name: 'doubled' }] });
    expect(one.outputs.map((o) => o.name)).toEqual(['doubled']);
    expect(one.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8, -2, -4, -6, -8]);

    const both = await h.client.modelInfer({ modelName: 'add', inputs });
    expect(both.outputs.map((o) => o.name).sort()).toEqual(['doubled', 'y']);
    expect(both.outputs.find((o) => o.name === 'y')?.contents?.fp32Contents).toEqual([
      2, 4, 6, 8, 0, 0, 0, 0,
    ]);
  });

  it('carries FP16, BOOL, INT64 and BYTES tensors through a raw request', async () => {
    const encoder = new TextEncoder();
    const inputs: Tensor[] = [
      // 1.0 and 2.0 as half-precision bit patterns, 2 rows
      { name: 'h', datatype: 'FP16', shape: [2, 2], data: new Uint16Array([0x3c00, 0x4000, 0xbc00, 0x0000]) },
      { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      { name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([5n, -(2n ** 40n)]) },
      { name: 's', datatype: 'BYTES', shape: [2], data: [encoder.encode('héllo'), encoder.encode('')] },
    ];
    // FP16 has no typed field, so the encoder sends the whole request raw.
    const encoded = encodeInferInputs(inputs, 'typed');
    expect(encoded.rawInputContents).toHaveLength(4);
    const response = await h.client.modelInfer({ modelName: 'mixed', id: 'mixed-1', ...encoded });
    expect(response.id).toBe('mixed-1');
    const outputs = decodeInferOutputs(response);
    expect(output(outputs, 'h_out')).toEqual({ ...inputs[0], name: 'h_out' });
    expect(output(outputs, 'b_not').data).toEqual(new Uint8Array([0, 1]));
    expect(output(outputs, 'i_out').data).toEqual(new BigInt64Array([5n, -(2n ** 40n)]));
    const strings = (output(outputs, 's_out').data as Uint8Array[]).map((e) => new TextDecoder().decode(e));
    expect(strings).toEqual(['héllo', '']);

    const some = await h.client.modelInfer({ modelName: 'mixed', ...encoded, outputs: [{ name: 's_out' }] });
    expect(some.outputs.map((o) => o.name)).toEqual(['s_out']);
  });

  it('answers several requests on one ModelStreamInfer stream, a bad one with error_message, and keeps going', async () => {
    const good = (id: string) => ({ modelName: 'iris', id, ...encodeInferInputs([irisInput()], 'raw') });
    const responses = await h.client.streamInfer([
      good('s-1'),
      { modelName: 'no-such-model', id: 's-bad' },
      good('s-2'),
      { modelName: 'iris', id: 's-typed', inputs: encodeInferInputs([irisInput()], 'typed').inputs },
    ]);
    expect(responses).toHaveLength(4);
    const byId = new Map(responses.map((r) => [r.inferResponse?.id, r]));
    expect([...byId.keys()].sort()).toEqual(['s-1', 's-2', 's-bad', 's-typed']);
    expect(byId.get('s-bad')?.errorMessage).toMatch(/model "no-such-model" not found/);
    for (const id of ['s-1', 's-2']) {
      const r = byId.get(id)!;
      expect(r.errorMessage).toBe('');
      expect(output(decodeInferOutputs(r.inferResponse!), 'probabilities').data).toEqual(reference);
    }
    expect(byId.get('s-typed')?.inferResponse?.outputs[0]?.contents?.fp32Contents).toEqual([...reference]);
  });

  it("answers ModelConfig with Triton's model configuration, as tritonclient's get_model_config reads it", async () => {
    const { config } = await h.client.modelConfig('convnet');
    expect(config).toEqual(
      inference.ModelConfig.fromPartial({
        name: 'convnet',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        versionPolicy: { latest: { numVersions: 1 } },
        maxBatchSize: 64,
        // Triton's dims leave out the batch dimension.
        input: [{ name: 'image', dataType: inference.DataType.TYPE_FP32, dims: [3n, 64n, 64n] }],
        output: [{ name: 'logits', dataType: inference.DataType.TYPE_FP32, dims: [10n] }],
        dynamicBatching: {
          preferredBatchSize: [16, 32, 64],
          maxQueueDelayMicroseconds: 2000n,
          preserveOrdering: true,
          defaultQueuePolicy: { maxQueueSize: 4096 },
        },
        instanceGroup: [{ name: 'convnet_0', kind: inference.ModelInstanceGroup_Kind.KIND_CPU, count: 1 }],
      }),
    );
    // A model without batching keeps its full shape and has no dynamic_batching.
    const mixed = (await h.client.modelConfig('mixed', '1')).config!;
    expect(mixed.maxBatchSize).toBe(0);
    expect(mixed.dynamicBatching).toBeUndefined();
    const tfjs = (await h.client.modelConfig('iris-tfjs')).config!;
    expect(tfjs).toMatchObject({ platform: 'tensorflow_js', backend: 'tfjs' });
    expect(tfjs.output[0]?.dataType).toBe(inference.DataType.TYPE_FP32);
    await expectStatus(
      h.client.modelConfig('no-such-model'),
      status.NOT_FOUND,
      /model "no-such-model" not found/,
    );
    await expectStatus(
      h.client.modelConfig('iris', '9'),
      status.NOT_FOUND,
      /model "iris" has no version "9"/,
    );
  });

  it('passes NaN through the same way on ONNX and TF.js: a row with a NaN input answers NaN, the other rows as usual', async () => {
    const rows = [IRIS_ROWS[0]!, [Number.NaN, 3.0, 1.4, 0.2], IRIS_ROWS[4]!];
    const answers: Float32Array[] = [];
    for (const modelName of ['iris', 'iris-tfjs']) {
      const response = await h.client.modelInfer({
        modelName,
        ...encodeInferInputs([irisInput(rows)], 'raw'),
      });
      answers.push(decodeInferOutputs(response)[0]!.data as Float32Array);
    }
    for (const probabilities of answers) {
      expect([...probabilities.subarray(3, 6)].every(Number.isNaN)).toBe(true);
      expect([...probabilities.subarray(0, 3), ...probabilities.subarray(6, 9)].every(Number.isFinite)).toBe(
        true,
      );
    }
    expect(argmaxRows(answers[0]!.subarray(6, 9), 3)).toEqual(argmaxRows(answers[1]!.subarray(6, 9), 3));
  });

  it('answers an output\'s classification parameter with Triton\'s top-k "value:index:label" BYTES per row', async () => {
    const rows = IRIS_ROWS.slice(0, 3);
    const response = await h.client.modelInfer({
      modelName: 'iris-labelled',
      ...encodeInferInputs([irisInput(rows)], 'raw'),
      outputs: [{ name: 'probabilities', parameters: { classification: { int64Param: 2n } } }],
    });
    const [top] = decodeInferOutputs(response);
    expect(top).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [3, 2] });
    const strings = (top!.data as Uint8Array[]).map((b) => Buffer.from(b).toString());
    const labels = ['setosa', 'versicolor', 'virginica'];
    const expected = Array.from({ length: rows.length }, (_, row) => {
      const p = [...reference.subarray(row * 3, row * 3 + 3)];
      const order = [0, 1, 2].sort((a, b) => p[b]! - p[a]!);
      return order.slice(0, 2).map((i) => `${p[i]!.toFixed(6)}:${i}:${labels[i]}`);
    }).flat();
    expect(strings).toEqual(expected);
    expect(strings[0]).toMatch(/:0:setosa$/);
    expect((await h.client.modelConfig('iris-labelled')).config?.output[0]?.labelFilename).toBe(
      'species.txt',
    );

    // Without a labels file: "value:index".
    const plain = await h.client.modelInfer({
      modelName: 'iris',
      ...encodeInferInputs([irisInput(rows.slice(0, 1))], 'raw'),
      outputs: [{ name: 'probabilities', parameters: { classification: { int64Param: 1n } } }],
    });
    expect(
      (decodeInferOutputs(plain)[0]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString()),
    ).toEqual([`${reference[0]!.toFixed(6)}:0`]);
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        ...encodeInferInputs([irisInput(rows)], 'raw'),
        outputs: [{ name: 'probabilities', parameters: { classification: { stringParam: 'two' } } }],
      }),
      status.INVALID_ARGUMENT,
      /output "probabilities": parameter "classification" must be an integer/,
    );
  });

  it('refuses an unknown RepositoryModelLoad parameter naming it, and keeps serving', async () => {
    const message = inference.RepositoryModelLoadRequest.fromPartial({
      modelName: 'iris',
      parameters: { confg: { stringParam: '{}' } },
    });
    await expectStatus(
      new Promise((resolve, reject) =>
        h.client.stub.repositoryModelLoad(message, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      ),
      status.INVALID_ARGUMENT,
      /^parameters\["confg"\]: unknown parameter; RepositoryModelLoad takes only "config"$/,
    );
    expect((await h.client.modelReady('iris')).ready).toBe(true);
  });

  it('answers ModelStatistics of a READY model with no traffic with one entry of zero counts, as Triton does', async () => {
    const response = await h.client.modelStatistics('idle');
    expect(response.modelStats).toHaveLength(1);
    expect(response.modelStats[0]).toMatchObject({
      name: 'idle',
      version: '1',
      lastInference: 0n,
      inferenceCount: 0n,
      executionCount: 0n,
      batchStats: [],
    });
    expect(response.modelStats[0]?.inferenceStats?.success).toEqual({ count: 0n, ns: 0n });
    expect((await h.client.modelStatistics('idle', '1')).modelStats).toHaveLength(1);
    // With no name, every READY version is listed, with or without traffic.
    const all = await h.client.modelStatistics();
    expect(all.modelStats.map((s) => s.name)).toEqual(
      expect.arrayContaining(['convnet', 'idle', 'iris-tfjs']),
    );
  });

  it('counts requests, rows and executions in ModelStatistics', async () => {
    const before = (await h.client.modelStatistics('add', '1')).modelStats[0];
    const x = encodeInferInputs(
      [{ name: 'x', datatype: 'FP32', shape: [3, 4], data: new Float32Array(12) }],
      'raw',
    );
    const n = 5;
    // One after another: without dynamic_batching each request is its own execution.
    for (let i = 0; i < n; i++) await h.client.modelInfer({ modelName: 'add', ...x });
    const response = await h.client.modelStatistics('add', '1');
    expect(response.modelStats).toHaveLength(1);
    const after = response.modelStats[0]!;
    expect(after.name).toBe('add');
    expect(after.version).toBe('1');
    const base = {
      inference: before?.inferenceCount ?? 0n,
      execution: before?.executionCount ?? 0n,
      success: before?.inferenceStats?.success?.count ?? 0n,
    };
    expect(after.inferenceCount - base.inference).toBe(BigInt(3 * n));
    expect(after.executionCount - base.execution).toBe(BigInt(n));
    expect((after.inferenceStats?.success?.count ?? 0n) - base.success).toBe(BigInt(n));
    expect(after.inferenceStats?.success?.ns).toBeGreaterThan(0n);
    expect(after.inferenceStats?.computeInfer?.ns).toBeGreaterThan(0n);
    expect(after.lastInference).toBeGreaterThan(0n);
    const batch3 = after.batchStats.find((b) => b.batchSize === 3n);
    expect(batch3?.computeInfer?.count).toBeGreaterThanOrEqual(BigInt(n));

    // All models at once: one row per model version with traffic.
    const all = await h.client.modelStatistics();
    expect(all.modelStats.map((s) => s.name)).toEqual(expect.arrayContaining(['add', 'iris']));
  });

  it('merges concurrent convnet requests into dynamic batches', async () => {
    const before = (await h.client.modelStatistics('convnet')).modelStats[0];
    const image = encodeInferInputs(
      [
        {
          name: 'image',
          datatype: 'FP32',
          shape: [1, 3, 64, 64],
          data: new Float32Array(3 * 64 * 64).fill(0.5),
        },
      ],
      'raw',
    );
    const concurrent = 32;
    const responses = await Promise.all(
      Array.from({ length: concurrent }, (_, i) =>
        h.client.modelInfer({ modelName: 'convnet', id: `c-${i}`, ...image }),
      ),
    );
    // Every request gets its own row back, split out of the batch.
    responses.forEach((r, i) => {
      expect(r.id).toBe(`c-${i}`);
      expect(output(decodeInferOutputs(r), 'logits').shape).toEqual([1, 10]);
    });
    const first = output(decodeInferOutputs(responses[0]!), 'logits').data;
    for (const r of responses) expect(output(decodeInferOutputs(r), 'logits').data).toEqual(first);

    const after = (await h.client.modelStatistics('convnet')).modelStats[0]!;
    const executions = after.executionCount - (before?.executionCount ?? 0n);
    expect(after.inferenceCount - (before?.inferenceCount ?? 0n)).toBe(BigInt(concurrent));
    expect(executions).toBeLessThan(BigInt(concurrent));
    expect(after.batchStats.some((b) => b.batchSize > 1n && (b.computeInfer?.count ?? 0n) > 0n)).toBe(true);
  });

  it('lists every model READY with its version in RepositoryIndex', async () => {
    const index = await h.client.repositoryIndex();
    expect(index.models.map((m) => `${m.name}@${m.version}:${m.state}`)).toEqual([
      'add@1:READY',
      'convnet@1:READY',
      'idle@1:READY',
      'iris@1:READY',
      'iris-labelled@1:READY',
      'iris-tfjs@1:READY',
      'mixed@1:READY',
    ]);
    expect((await h.client.repositoryIndex(true)).models).toHaveLength(7);
  });

  it('exports sightline_inference_* series per model and version, and sightline_model_info with the backend', async () => {
    await h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisInput()], 'raw') });
    const response = await fetch(`${h.httpBase}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const line = (pattern: RegExp) => text.split('\n').find((l) => pattern.test(l));
    expect(
      line(/^sightline_inference_request_success_total\{[^}]*model="iris"[^}]*version="1"[^}]*\} [1-9]/),
    ).toBeDefined();
    expect(line(/^sightline_inference_count_total\{[^}]*model="iris"[^}]*\} [1-9]/)).toBeDefined();
    expect(line(/^sightline_inference_exec_count_total\{[^}]*model="iris"[^}]*\} [1-9]/)).toBeDefined();
    expect(line(/^sightline_inference_request_duration_seconds_bucket\{[^}]*model="iris"/)).toBeDefined();
    expect(line(/^sightline_inference_queue_duration_seconds_count\{[^}]*model="iris"/)).toBeDefined();
    expect(line(/^sightline_inference_compute_duration_seconds_count\{[^}]*model="iris"/)).toBeDefined();
    expect(line(/^sightline_inference_batch_size_bucket\{[^}]*model="convnet"/)).toBeDefined();
    expect(
      line(/^sightline_model_info\{[^}]*model="iris"[^}]*backend="onnxruntime-cpu"[^}]*\} 1$/),
    ).toBeDefined();
    expect(
      line(/^sightline_model_info\{[^}]*model="iris-tfjs"[^}]*backend="tfjs-[a-z-]+"[^}]*\} 1$/),
    ).toBeDefined();
  });
});
