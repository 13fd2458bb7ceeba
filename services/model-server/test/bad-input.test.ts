/**
 * Bad input over real gRPC: each case gets its status code and a sentence naming the tensor
 * or field and the rule, and the server keeps serving afterwards (a good call follows every
 * bad one).
 */
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { encodeInferInputs, type Tensor } from '@sightline/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { IRIS_ROWS, irisFeatures, referenceProbabilities } from './helpers/iris.js';
import { createTempRepository, EXAMPLE_MODELS, type TempRepository } from './helpers/temp-repository.js';
import {
  CALL_DEADLINE_MS,
  expectStatus,
  isServiceError,
  statusName,
  type V2Client,
} from './helpers/v2-client.js';

const irisRows = (rows: number): Tensor => ({
  name: 'input',
  datatype: 'FP32',
  shape: [rows, 4],
  data: irisFeatures(Array.from({ length: rows }, (_, i) => IRIS_ROWS[i % IRIS_ROWS.length]!)),
});

const convnetImage = (): Tensor => ({
  name: 'image',
  datatype: 'FP32',
  shape: [1, 3, 64, 64],
  data: new Float32Array(3 * 64 * 64).fill(0.25),
});

/** A 4-byte little-endian length prefix, as raw BYTES elements carry. */
function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(length);
  return prefix;
}

/** Good raw inputs for the `mixed` fixture (h FP16, b BOOL, i INT64, s BYTES; batch 2). */
function mixedInputs(): Tensor[] {
  const encoder = new TextEncoder();
  return [
    { name: 'h', datatype: 'FP16', shape: [2, 2], data: new Uint16Array([0x3c00, 0x4000, 0x3c00, 0x4000]) },
    { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    { name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, 2n]) },
    { name: 's', datatype: 'BYTES', shape: [2], data: [encoder.encode('a'), encoder.encode('bc')] },
  ];
}

/** A good iris call, checked against the reference: the server is still serving. */
async function expectServing(client: V2Client, reference: Float32Array): Promise<void> {
  const response = await client.modelInfer({
    modelName: 'iris',
    inputs: encodeInferInputs([irisRows(IRIS_ROWS.length)], 'typed').inputs,
  });
  expect(response.outputs[0]?.contents?.fp32Contents).toEqual([...reference]);
}

describe('bad input to ModelInfer', () => {
  let repo: TempRepository;
  let h: InProcessServer;
  let reference: Float32Array;

  beforeAll(async () => {
    repo = await createTempRepository({
      iris: { example: 'iris' },
      mixed: { fixture: 'mixed.onnx' },
      // One instance and room for one queued request: a burst must overflow it.
      'convnet-q1': {
        example: 'convnet',
        config: [
          'platform: onnx',
          'max_batch_size: 64',
          'dynamic_batching: { max_queue_delay_us: 0, max_queue_size: 1 }',
          'instance_count: 1',
          'device: cpu',
          '',
        ].join('\n'),
      },
    });
    h = await startInProcessServer(repo.root);
    reference = await referenceProbabilities();
  });

  afterEach(async () => {
    await expectServing(h.client, reference);
  });

  afterAll(async () => {
    await h?.stop();
    await repo?.cleanup();
  });

  it('unknown model -> NOT_FOUND naming it', async () => {
    await expectStatus(
      h.client.modelInfer({ modelName: 'no-such-model', ...encodeInferInputs([irisRows(1)], 'raw') }),
      status.NOT_FOUND,
      /model "no-such-model" not found/,
    );
    await expectStatus(h.client.modelMetadata('no-such-model'), status.NOT_FOUND, /model "no-such-model"/);
    await expectStatus(h.client.modelStatistics('no-such-model'), status.NOT_FOUND, /model "no-such-model"/);
  });

  it.each(['7', 'latest', '01'])('unknown version %j -> NOT_FOUND naming it', async (version) => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        modelVersion: version,
        ...encodeInferInputs([irisRows(1)], 'raw'),
      }),
      status.NOT_FOUND,
      new RegExp(`model "iris" has no version "${version}"`),
    );
    await expectStatus(
      h.client.modelMetadata('iris', version),
      status.NOT_FOUND,
      /model "iris" has no version/,
    );
  });

  it('wrong datatype -> INVALID_ARGUMENT naming the input and both datatypes', async () => {
    const fp64: Tensor = {
      name: 'input',
      datatype: 'FP64',
      shape: [1, 4],
      data: new Float64Array([5.1, 3.5, 1.4, 0.2]),
    };
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', inputs: encodeInferInputs([fp64], 'typed').inputs }),
      status.INVALID_ARGUMENT,
      /input "input": expected datatype FP32, got FP64/,
    );
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [
          { name: 'input', datatype: 'FP128', shape: [1n, 4n], contents: { fp32Contents: [1, 2, 3, 4] } },
        ],
      }),
      status.INVALID_ARGUMENT,
      /input "input": unknown datatype "FP128"/,
    );
  });

  it('more inputs than --max-tensors-per-request, a 2^62 dimension -> errors naming the flag and the exact dimension', async () => {
    const many = Array.from({ length: 1025 }, (_, i) => ({
      name: `x${i}`,
      datatype: 'FP32',
      shape: [1n],
      contents: { fp32Contents: [1] },
    }));
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', inputs: many }),
      status.RESOURCE_EXHAUSTED,
      /^1025 inputs exceed the limit of 1024 per message \(--max-tensors-per-request\)$/,
    );
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2n ** 62n, 4n] }],
      }),
      status.INVALID_ARGUMENT,
      /^input "input": dimension 0 of shape \[4611686018427387904,4\] is 4611686018427387904; /,
    );
  });

  it('raw FP32 bytes declared BOOL -> INVALID_ARGUMENT naming the datatype mismatch, not an element value', async () => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [{ name: 'input', datatype: 'BOOL', shape: [1n, 16n] }],
        rawInputContents: [Buffer.from(irisFeatures([[5.1, 3.5, 1.4, 0.2]]).buffer)],
      }),
      status.INVALID_ARGUMENT,
      /^input "input": expected datatype FP32, got BOOL$/,
    );
  });

  it('element count not matching the shape -> INVALID_ARGUMENT naming the input', async () => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1n, 4n], contents: { fp32Contents: [1, 2, 3, 4, 5] } },
        ],
      }),
      status.INVALID_ARGUMENT,
      /input "input": shape \[1,4\] needs 4 elements, fp32_contents has 5/,
    );
  });

  it('shape not matching the model -> INVALID_ARGUMENT naming the input', async () => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1n, 5n], contents: { fp32Contents: [1, 2, 3, 4, 5] } },
        ],
      }),
      status.INVALID_ARGUMENT,
      /input "input": expected shape \[-1,4\], got \[1,5\]/,
    );
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [4n], contents: { fp32Contents: [1, 2, 3, 4] } }],
      }),
      status.INVALID_ARGUMENT,
      /input "input": expected shape \[-1,4\], got \[4\]/,
    );
  });

  it('raw byte length not matching the shape -> INVALID_ARGUMENT naming the input and both lengths', async () => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, 4n] }],
        rawInputContents: [Buffer.alloc(12)],
      }),
      status.INVALID_ARGUMENT,
      /input "input": expected 16 bytes of raw contents .*, got 12/,
    );
  });

  it('raw_input_contents count not matching the inputs -> INVALID_ARGUMENT naming the field', async () => {
    const { inputs, rawInputContents } = encodeInferInputs([irisRows(1)], 'raw');
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs,
        rawInputContents: [...rawInputContents, Buffer.alloc(16)],
      }),
      status.INVALID_ARGUMENT,
      /raw_input_contents has 2 entries but there are only 1 inputs/,
    );
  });

  it('missing input -> INVALID_ARGUMENT naming the missing input', async () => {
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris' }),
      status.INVALID_ARGUMENT,
      /input "input": missing/,
    );
    const withoutB = mixedInputs().filter((t) => t.name !== 'b');
    await expectStatus(
      h.client.modelInfer({ modelName: 'mixed', ...encodeInferInputs(withoutB, 'raw') }),
      status.INVALID_ARGUMENT,
      /input "b": missing/,
    );
  });

  it('extra input -> INVALID_ARGUMENT naming the extra input', async () => {
    const extra: Tensor = { name: 'extra', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) };
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisRows(1), extra], 'raw') }),
      status.INVALID_ARGUMENT,
      /input "extra": .*has no such input/,
    );
  });

  it('the same input twice -> INVALID_ARGUMENT naming it', async () => {
    const { inputs } = encodeInferInputs([irisRows(1)], 'typed');
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', inputs: [...inputs, ...inputs] }),
      status.INVALID_ARGUMENT,
      /input "input": appears more than once/,
    );
  });

  it('raw and typed contents both set -> INVALID_ARGUMENT naming the input', async () => {
    const typed = encodeInferInputs([irisRows(1)], 'typed');
    const raw = encodeInferInputs([irisRows(1)], 'raw');
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        inputs: typed.inputs,
        rawInputContents: raw.rawInputContents,
      }),
      status.INVALID_ARGUMENT,
      /input "input": has typed contents but the message uses raw_input_contents/,
    );
  });

  it('a BYTES element running past the end of its raw buffer -> INVALID_ARGUMENT naming the input', async () => {
    const { inputs, rawInputContents } = encodeInferInputs(mixedInputs(), 'raw');
    const sIndex = inputs.findIndex((t) => t.name === 's');
    const overrun = [...rawInputContents];
    // The first element claims 100 bytes, but only 3 follow.
    overrun[sIndex] = Buffer.concat([lengthPrefix(100), Buffer.from('abc')]);
    await expectStatus(
      h.client.modelInfer({ modelName: 'mixed', inputs, rawInputContents: overrun }),
      status.INVALID_ARGUMENT,
      /BYTES element 0 of input "s" declares 100 bytes but only 3 remain/,
    );
    // A truncated length prefix is refused the same way.
    overrun[sIndex] = Buffer.concat([lengthPrefix(1), Buffer.from('a'), Buffer.from([2, 0])]);
    await expectStatus(
      h.client.modelInfer({ modelName: 'mixed', inputs, rawInputContents: overrun }),
      status.INVALID_ARGUMENT,
      /BYTES element 1 of input "s" needs a 4-byte length prefix/,
    );
    // And the well-formed request goes through.
    const good = await h.client.modelInfer({ modelName: 'mixed', inputs, rawInputContents });
    expect(good.outputs).toHaveLength(4);
  });

  it('batch size over max_batch_size -> INVALID_ARGUMENT naming the input and the limit', async () => {
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisRows(65)], 'raw') }),
      status.INVALID_ARGUMENT,
      /input "input": batch size must be between 1 and max_batch_size 64, got 65/,
    );
    const full = await h.client.modelInfer({
      modelName: 'iris',
      ...encodeInferInputs([irisRows(64)], 'raw'),
    });
    expect(full.outputs[0]?.shape).toEqual([64n, 3n]);
  });

  it('unknown requested output -> INVALID_ARGUMENT naming the output', async () => {
    await expectStatus(
      h.client.modelInfer({
        modelName: 'iris',
        ...encodeInferInputs([irisRows(1)], 'raw'),
        outputs: [{ name: 'logits' }],
      }),
      status.INVALID_ARGUMENT,
      /output "logits": .*has no such output/,
    );
  });

  it('a 1 MB input name, datatype or requested output name -> INVALID_ARGUMENT at once, quoting 64 characters of it', async () => {
    const big = 'n'.repeat(1024 * 1024);
    const quoted = `"${'n'.repeat(64)}"\\.\\.\\. \\(${big.length} characters\\)`;
    const raw = encodeInferInputs([irisRows(1)], 'raw');
    const cases: [Partial<inference.ModelInferRequest>, RegExp][] = [
      [{ ...raw, inputs: [{ ...raw.inputs[0]!, name: big }] }, new RegExp(`^input ${quoted}: `)],
      [{ ...raw, inputs: [{ ...raw.inputs[0]!, datatype: big }] }, new RegExp(`unknown datatype ${quoted}`)],
      [{ ...raw, outputs: [{ name: big, parameters: {} }] }, new RegExp(`^output ${quoted}: `)],
    ];
    for (const [request, message] of cases) {
      const started = Date.now();
      const error = await h.client
        .modelInfer({ modelName: 'iris', ...request })
        .catch((e: ServiceError) => e);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(isServiceError(error) && error.code).toBe(status.INVALID_ARGUMENT);
      expect((error as ServiceError).details).toMatch(message);
      expect((error as ServiceError).details.length).toBeLessThan(400);
    }
  });

  it('a parameter named "__proto__" -> INVALID_ARGUMENT naming it (never silently dropped)', async () => {
    // fromPartial would drop the key before it reached the wire, so the message is built
    // with the key as an own property, which encode writes as a map entry.
    const message = inference.ModelInferRequest.fromPartial({
      modelName: 'iris',
      ...encodeInferInputs([irisRows(1)], 'raw'),
    });
    message.parameters = JSON.parse('{"__proto__": {"stringParam": "v"}}');
    await expectStatus(
      new Promise((resolve, reject) =>
        h.client.stub.modelInfer(
          message,
          new Metadata(),
          { deadline: Date.now() + CALL_DEADLINE_MS },
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      ),
      status.INVALID_ARGUMENT,
      /^parameter "__proto__": this name is not accepted/,
    );
  });

  it('a full queue -> RESOURCE_EXHAUSTED at once for the overflow, the rest succeed', async () => {
    const request = { modelName: 'convnet-q1', ...encodeInferInputs([convnetImage()], 'raw') };
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, async () => {
        try {
          await h.client.modelInfer(request);
          return { code: status.OK, details: '', ms: performance.now() - started };
        } catch (error) {
          if (!isServiceError(error)) throw error;
          return { code: error.code, details: error.details, ms: performance.now() - started };
        }
      }),
    );
    const codes = outcomes.map((o) => statusName(o.code));
    expect(new Set(codes)).toEqual(new Set(['OK', 'RESOURCE_EXHAUSTED']));
    const refused = outcomes.filter((o) => o.code === status.RESOURCE_EXHAUSTED);
    const served = outcomes.filter((o) => o.code === status.OK);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const o of refused) {
      expect(o.details).toMatch(/model "convnet-q1" version 1: queue full \(max_queue_size 1\)/);
    }
    // Refusals are not queued behind the work: the first comes back before the last success.
    expect(Math.min(...refused.map((o) => o.ms))).toBeLessThan(Math.max(...served.map((o) => o.ms)));
    // And once the burst is over, the model serves again.
    await h.client.modelInfer(request);
  });

  it('malformed protobuf bytes -> an error status, never a crash', async () => {
    const raw = new Client(h.server.grpcAddress, credentials.createInsecure());
    const identity = (bytes: Buffer) => bytes;
    const send = (bytes: Buffer) =>
      new Promise<ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          identity,
          identity,
          bytes,
          { deadline: Date.now() + CALL_DEADLINE_MS },
          (error, response) =>
            error ? resolve(error) : reject(new Error(`answered ${response?.length} bytes`)),
        );
      });
    try {
      const garbage = [
        // field 1 (model_name) claiming a 2^35-byte string
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61]),
        // wire type 7 does not exist
        Buffer.from([0x0f, 0x01, 0x02, 0x03]),
        // an unterminated varint
        Buffer.from([0x08, 0xff, 0xff, 0xff]),
      ];
      for (const bytes of garbage) {
        const error = await send(bytes);
        expect(['INTERNAL', 'INVALID_ARGUMENT']).toContain(statusName(error.code));
        expect(error.details.length).toBeGreaterThan(0);
      }
      expect((await h.client.serverLive()).live).toBe(true);
    } finally {
      raw.close();
    }
  });
});

describe('a message over the size limit', () => {
  let h: InProcessServer;
  let reference: Float32Array;

  beforeAll(async () => {
    // 16 KiB: an iris request fits, a 48 KiB convnet image does not.
    h = await startInProcessServer(EXAMPLE_MODELS, { maxReceiveMessageBytes: '16384' });
    reference = await referenceProbabilities();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('-> RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    await expectStatus(
      h.client.modelInfer({ modelName: 'convnet', ...encodeInferInputs([convnetImage()], 'raw') }),
      status.RESOURCE_EXHAUSTED,
      /larger than max \(\d+ vs 16384\)/,
    );
    await expectServing(h.client, reference);
  });
});
