/**
 * Any Open Inference Protocol client must work unchanged: an independent Python client,
 * with stubs generated from the upstream-compatible proto by Debian's grpc_tools, calls a
 * model-server process started by the CLI, and gets the predictions the generated grpc-js
 * client gets.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeInferOutputs, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, REPO_ROOT, startChildServer } from './helpers/child-server.js';
import { argmaxRows, IRIS_ROWS, IRIS_SPECIES, irisFeatures, referenceProbabilities } from './helpers/iris.js';
import { V2Client } from './helpers/v2-client.js';

/** Debian's interpreter: it sees python3-grpcio, python3-grpc-tools and python3-numpy. */
const PYTHON = '/usr/bin/python3';
const CLIENT_SCRIPT = fileURLToPath(new URL('./python/oip_client.py', import.meta.url));

interface PythonResults {
  server_live: boolean;
  server_ready: boolean;
  model_metadata: {
    name: string;
    versions: string[];
    platform: string;
    inputs: { name: string; datatype: string; shape: number[] }[];
    outputs: { name: string; datatype: string; shape: number[] }[];
  };
  infer_raw: {
    id: string;
    model_name: string;
    model_version: string;
    name: string;
    datatype: string;
    shape: number[];
    values: number[];
  };
  infer_typed: { id: string; raw_output_count: number; name: string; shape: number[]; values: number[] };
  stream: { id: string; error_message: string; values?: number[] }[];
  repository_index: { name: string; version: string; state: string; reason: string }[];
  not_found: { code: string; details: string };
  model_config: Record<string, unknown>;
}

/** Fails with what to install when Debian's Python lacks the gRPC packages; CI installs them. */
function requirePythonGrpc(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc, numpy'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import grpc, grpc_tools and numpy (${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install them: apt-get install -y python3-grpcio python3-grpc-tools python3-numpy ' +
        '(.ci/run installs them in CI). This test needs an independent client and is never skipped.',
    );
  }
}

describe('an independent Python OIP client (grpcio + stubs from the proto)', () => {
  let stubs: string;
  let child: ChildServer;
  let results: PythonResults;

  beforeAll(async () => {
    requirePythonGrpc();
    stubs = await mkdtemp(path.join(tmpdir(), 'sightline-pystubs-'));
    const protoc = spawnSync(
      PYTHON,
      [
        '-m',
        'grpc_tools.protoc',
        '-I',
        'proto',
        `--python_out=${stubs}`,
        `--grpc_python_out=${stubs}`,
        'inference/grpc_service.proto',
        'inference/model_config.proto',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    if (protoc.status !== 0) throw new Error(`grpc_tools.protoc failed: ${protoc.stderr}`);
    child = await startChildServer(['--repository', 'examples/models']);
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [CLIENT_SCRIPT, '--stubs', stubs, '--address', child.address, '--rows', JSON.stringify(IRIS_ROWS)],
      { timeout: 30_000 },
    );
    results = JSON.parse(stdout) as PythonResults;
  });

  afterAll(async () => {
    await child?.stop();
    if (stubs) await rm(stubs, { recursive: true, force: true });
  });

  it('reads health and model metadata', () => {
    expect(results.server_live).toBe(true);
    expect(results.server_ready).toBe(true);
    expect(results.model_metadata).toEqual({
      name: 'iris',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    });
  });

  it('gets the same predictions with raw and typed contents as the grpc-js client and onnxruntime-node', async () => {
    const reference = await referenceProbabilities();
    const client = new V2Client(child.address);
    let grpcJs: Float32Array;
    try {
      const response = await client.modelInfer({
        modelName: 'iris',
        ...encodeInferInputs(
          [{ name: 'input', datatype: 'FP32', shape: [IRIS_ROWS.length, 4], data: irisFeatures() }],
          'raw',
        ),
      });
      grpcJs = decodeInferOutputs(response)[0]!.data as Float32Array;
    } finally {
      client.close();
    }
    expect(grpcJs).toEqual(reference);

    expect(results.infer_raw).toMatchObject({
      id: 'py-raw',
      model_name: 'iris',
      model_version: '1',
      name: 'probabilities',
      datatype: 'FP32',
      shape: [IRIS_ROWS.length, 3],
    });
    // numpy's float32 values, printed as doubles, are the very same floats.
    expect(new Float32Array(results.infer_raw.values)).toEqual(grpcJs);
    expect(results.infer_typed).toMatchObject({ id: 'py-typed', raw_output_count: 0, name: 'probabilities' });
    expect(new Float32Array(results.infer_typed.values)).toEqual(grpcJs);
    expect(argmaxRows(results.infer_raw.values, 3)).toEqual(IRIS_SPECIES);
  });

  it('streams: a failed request answers with error_message and the stream goes on', () => {
    const byId = new Map(results.stream.map((entry) => [entry.id, entry]));
    expect(results.stream).toHaveLength(3);
    expect(byId.get('py-s-bad')?.error_message).toMatch(/model "no-such-model" not found/);
    for (const id of ['py-s1', 'py-s2']) {
      expect(byId.get(id)?.error_message).toBe('');
      expect(byId.get(id)?.values).toEqual(results.infer_raw.values);
    }
  });

  it("reads Triton's ModelConfig: dims without the batch dimension, dynamic batching, one CPU instance group", () => {
    // protobuf's JSON mapping: int64 and uint64 as strings, enums by name, defaults left out.
    expect(results.model_config).toEqual({
      name: 'iris',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 64,
      input: [{ name: 'input', data_type: 'TYPE_FP32', dims: ['4'] }],
      output: [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: ['3'] }],
      dynamic_batching: { preserve_ordering: true, default_queue_policy: { max_queue_size: 1024 } },
      instance_group: [{ name: 'iris_0', kind: 'KIND_CPU', count: 1 }],
    });
  });

  it('lists the repository and gets NOT_FOUND for an unknown model', () => {
    expect(results.repository_index.map((m) => `${m.name}@${m.version}:${m.state}`)).toEqual([
      'convnet@1:READY',
      'iris@1:READY',
      'iris-tfjs@1:READY',
      'iris-v2@1:READY',
      'shap-interaction@1:READY',
      'shap-linear@1:READY',
      'shap-threshold@1:READY',
      'shapes@1:READY',
    ]);
    expect(results.not_found.code).toBe('NOT_FOUND');
    expect(results.not_found.details).toMatch(/model "no-such-model" not found/);
  });
});
