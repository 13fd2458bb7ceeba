import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newestOnnxFile } from '../models/model-files.js';
import { encodeInferRequest, V2ClientPool } from '../v2-client.js';
import { findWorkspaceRoot } from '../workspace-root.js';
import { type FloorServer, startFloorServer } from './floor-server.js';

const irisFile = newestOnnxFile(join(findWorkspaceRoot(), 'examples/models'), 'iris');

describe.skipIf(irisFile === undefined)('the model floor (grpc-js + onnxruntime, no Sightline)', () => {
  let server: FloorServer;
  let pool: V2ClientPool;
  const rows = Float32Array.from([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);

  beforeAll(async () => {
    server = await startFloorServer({ name: 'probabilities', shape: [1, 3] }, '127.0.0.1', 0, {
      file: irisFile!,
      intraOpThreads: 1,
    });
    pool = new V2ClientPool(`127.0.0.1:${server.port}`, 1);
  });
  afterAll(async () => {
    pool.close();
    await server.close();
  });

  it('answers what onnxruntime computes in process for the same rows', async () => {
    const response = await pool.infer(
      encodeInferRequest('iris', [{ name: 'input', shape: [2, 4], data: rows }]),
    );
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([
      ['probabilities', 'FP32', [2, 3]],
    ]);
    const raw = response.rawOutputContents[0]!;
    const served = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const session = await ort.InferenceSession.create(irisFile!);
    try {
      const expected = await session.run({ input: new ort.Tensor('float32', rows, [2, 4]) });
      expect([...served]).toEqual([...(expected.probabilities!.data as Float32Array)]);
    } finally {
      await session.release();
    }
  });
});
