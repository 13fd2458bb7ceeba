import path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, makeTempRepo, writeFiles } from '../../test/fixtures/temp-repo.js';
import type { Logger } from '../model/logger.js';
import type { ModelConfig } from '../model/types.js';
import { OnnxRuntime, toOrtTensor } from './onnx-runtime.js';

function config(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'adder',
    platform: 'onnx',
    maxBatchSize: 0,
    inputs: undefined,
    outputs: undefined,
    dynamicBatching: undefined,
    instanceCount: 1,
    device: 'cpu',
    executionMode: 'inline',
    intraOpThreads: 0,
    versionPolicy: { kind: 'latest', numVersions: 1 },
    ...overrides,
  };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, error() {}, warn: (_fields, message) => warnings.push(message) };
}

describe('OnnxRuntime', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const logger = recordingLogger();
  const cpu = { device: 'cpu' as const, logger, gpuDetected: false };

  beforeEach(async () => {
    ({ root, cleanup } = await makeTempRepo());
    await writeFiles(root, {
      'adder/1/model.onnx': await fixtureBytes('add.onnx'),
      'mixed/1/model.onnx': await fixtureBytes('mixed.onnx'),
      'corrupt/1/model.onnx': new Uint8Array([0x08, 0xff, 0xff, 0x13, 0x37, 0x00, 0x42]),
    });
  });

  afterEach(() => cleanup());

  it('reads signatures from the file, symbolic dimensions as -1', async () => {
    const runtime = await OnnxRuntime.load(config(), path.join(root, 'adder/1'), cpu);
    try {
      expect(runtime.backend).toBe('onnxruntime-cpu');
      expect(runtime.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
      expect(runtime.outputs).toEqual([
        { name: 'y', datatype: 'FP32', shape: [-1, 4] },
        { name: 'doubled', datatype: 'FP32', shape: [-1, 4] },
      ]);
    } finally {
      await runtime.dispose();
    }
  });

  it('runs, computing only the requested outputs', async () => {
    const runtime = await OnnxRuntime.load(config(), path.join(root, 'adder/1'), cpu);
    try {
      const x: Tensor = {
        name: 'x',
        datatype: 'FP32',
        shape: [2, 4],
        data: new Float32Array([0, 0, 0, 0, 1, 1, 1, 1]),
      };
      const both = await runtime.run(new Map([['x', x]]), ['y', 'doubled']);
      expect(both.get('y')).toEqual({
        name: 'y',
        datatype: 'FP32',
        shape: [2, 4],
        data: new Float32Array([1, 2, 3, 4, 2, 3, 4, 5]),
      });
      expect(both.get('doubled')?.data).toEqual(new Float32Array([0, 0, 0, 0, 2, 2, 2, 2]));
      const one = await runtime.run(new Map([['x', x]]), ['doubled']);
      expect([...one.keys()]).toEqual(['doubled']);
    } finally {
      await runtime.dispose();
    }
  });

  it('hands the input typed array to ONNX Runtime without copying, even as a view', () => {
    const buffer = new Float32Array([9, 9, 1, 2, 3, 4]);
    const view = buffer.subarray(2);
    const ortTensor = toOrtTensor({ name: 'x', datatype: 'FP32', shape: [1, 4], data: view });
    expect(ortTensor.data).toBe(view);
    const fp16 = new Uint16Array([0x3c00]);
    const half = toOrtTensor({ name: 'h', datatype: 'FP16', shape: [1], data: fp16 });
    expect(half.type).toBe('float16');
    expect(half.data).toBe(fp16);
    const bool = new Uint8Array([1]);
    const flag = toOrtTensor({ name: 'b', datatype: 'BOOL', shape: [1], data: bool });
    expect(flag.type).toBe('bool');
    expect(flag.data).toBe(bool);
  });

  it('maps FP16, BOOL, INT64 and BYTES both ways', async () => {
    const runtime = await OnnxRuntime.load(config({ name: 'mixed' }), path.join(root, 'mixed/1'), cpu);
    try {
      expect(runtime.inputs.map((spec) => spec.datatype)).toEqual(['FP16', 'BOOL', 'INT64', 'BYTES']);
      const encoder = new TextEncoder();
      const outputs = await runtime.run(
        new Map<string, Tensor>([
          ['h', { name: 'h', datatype: 'FP16', shape: [1, 2], data: new Uint16Array([0x3c00, 0x4000]) }],
          ['b', { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
          ['i', { name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([5n, -(2n ** 40n)]) }],
          [
            's',
            { name: 's', datatype: 'BYTES', shape: [2], data: [encoder.encode('héllo'), encoder.encode('')] },
          ],
        ]),
        ['h_out', 'b_not', 'i_out', 's_out'],
      );
      expect(outputs.get('h_out')).toEqual({
        name: 'h_out',
        datatype: 'FP16',
        shape: [1, 2],
        data: new Uint16Array([0x3c00, 0x4000]),
      });
      expect(outputs.get('b_not')?.data).toEqual(new Uint8Array([0, 1]));
      expect(outputs.get('i_out')?.data).toEqual(new BigInt64Array([5n, -(2n ** 40n)]));
      expect(outputs.get('s_out')).toEqual({
        name: 's_out',
        datatype: 'BYTES',
        shape: [2],
        data: [encoder.encode('héllo'), encoder.encode('')],
      });
    } finally {
      await runtime.dispose();
    }
  });

  it('uses the declared signatures when they agree with the file', async () => {
    const inputs = [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 4] }];
    const outputs = [
      { name: 'y', datatype: 'FP32' as const, shape: [-1, 4] },
      { name: 'doubled', datatype: 'FP32' as const, shape: [-1, 4] },
    ];
    const runtime = await OnnxRuntime.load(config({ inputs, outputs }), path.join(root, 'adder/1'), cpu);
    expect(runtime.inputs).toEqual(inputs);
    await runtime.dispose();
  });

  it('fails the load when the config disagrees with the file, listing each mismatch', async () => {
    const load = OnnxRuntime.load(
      config({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [
          { name: 'y', datatype: 'INT64', shape: [-1, 4] },
          { name: 'doubled', datatype: 'FP32', shape: [-1, 4] },
        ],
      }),
      path.join(root, 'adder/1'),
      cpu,
    );
    await expect(load).rejects.toThrow(
      new InvalidArgumentError(
        'model "adder": config disagrees with the model file: inputs "input" is declared in the config but the model has no such tensor; inputs "x" exists in the model file but is missing from the config',
      ),
    );
    await expect(
      OnnxRuntime.load(
        config({
          outputs: [
            { name: 'y', datatype: 'INT64', shape: [-1, 4] },
            { name: 'doubled', datatype: 'FP32', shape: [-1, 4] },
          ],
        }),
        path.join(root, 'adder/1'),
        cpu,
      ),
    ).rejects.toThrow('outputs "y": config says INT64, the model file says FP32');
  });

  it('fails the load of a corrupt file with the reason', async () => {
    const error = await OnnxRuntime.load(
      config({ name: 'corrupt' }),
      path.join(root, 'corrupt/1'),
      cpu,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(
      /^model "corrupt": model.onnx cannot be loaded by ONNX Runtime: .+/,
    );
  });

  it('device gpu either runs on CUDA or fails the load saying why', async () => {
    const result = await OnnxRuntime.load(config({ device: 'gpu' }), path.join(root, 'adder/1'), {
      ...cpu,
      device: 'gpu',
    }).catch((caught: unknown) => caught);
    if (result instanceof OnnxRuntime) {
      expect(result.backend).toBe('onnxruntime-cuda');
      await result.dispose();
    } else {
      expect(result).toBeInstanceOf(FailedPreconditionError);
      expect((result as Error).message).toMatch(
        /device gpu asked, but the CUDA execution provider cannot be used: .+ \((.+ missing in .+: install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12|the provider files are installed).+\)$/,
      );
    }
  });

  it('device auto with a GPU detected falls back to the CPU when CUDA cannot load', async () => {
    const auto = recordingLogger();
    const runtime = await OnnxRuntime.load(config({ device: 'auto' }), path.join(root, 'adder/1'), {
      device: 'auto',
      logger: auto,
      gpuDetected: true,
    });
    if (runtime.backend === 'onnxruntime-cpu') {
      expect(auto.warnings).toEqual(['CUDA execution provider unavailable, falling back to CPU']);
    } else {
      expect(runtime.backend).toBe('onnxruntime-cuda');
    }
    await runtime.dispose();
  });
});
