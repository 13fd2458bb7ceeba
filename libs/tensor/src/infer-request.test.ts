import { inference } from '@sightline/contracts';
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyTensorArb, expectSameTensor, fixedWidthData, thrownMessage } from '../test/arbitraries.js';
import { decodeInferInputs, encodeInferInputs } from './infer-request.js';
import { emptyContents } from './typed-codec.js';

type Input = inference.ModelInferRequest_InferInputTensor;

function input(fields: Partial<Input> & { name: string }): Input {
  return { datatype: 'FP32', shape: [1n], parameters: {}, ...fields };
}

/** A request built as the generated decoder builds one (fromPartial would copy the buffers). */
function request(inputs: Input[], raw: Uint8Array[] = []): inference.ModelInferRequest {
  return {
    modelName: 'm',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs,
    outputs: [],
    rawInputContents: raw.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b))),
  };
}

function fp32(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

describe('request round trip over the protobuf wire', () => {
  for (const mode of ['raw', 'typed'] as const) {
    it(`decodeInferInputs(decode(encode(encodeInferInputs(ts, '${mode}')))) is ts`, () => {
      const tensorsArb = fc
        .array(anyTensorArb(mode === 'raw'), { maxLength: 5 })
        .map((ts) => ts.map((t, i) => ({ ...t, name: `in${i}-é` })));
      fc.assert(
        fc.property(tensorsArb, (tensors) => {
          const encoded = encodeInferInputs(tensors, mode);
          const wire = inference.ModelInferRequest.encode(
            inference.ModelInferRequest.fromPartial({ modelName: 'm', ...encoded }),
          ).finish();
          const decoded = decodeInferInputs(inference.ModelInferRequest.decode(wire));
          expect(decoded).toHaveLength(tensors.length);
          for (const [i, t] of decoded.entries()) expectSameTensor(t, tensors[i]!);
        }),
      );
    });
  }

  it('typed mode sends the whole request raw when any input is FP16 or BF16', () => {
    const encoded = encodeInferInputs(
      [
        { name: 'a', datatype: 'FP32', shape: [1], data: Float32Array.of(1) },
        { name: 'b', datatype: 'BF16', shape: [1], data: Uint16Array.of(0x3f80) },
      ],
      'typed',
    );
    expect(encoded.rawInputContents).toHaveLength(2);
    expect(encoded.inputs.every((i) => i.contents === undefined)).toBe(true);
  });
});

describe('decodeInferInputs wire rules', () => {
  it('decodes raw FP32 without copying when the buffer is aligned', () => {
    const backing = new ArrayBuffer(16);
    const raw = Buffer.from(backing, 0, 8);
    const [tensor] = decodeInferInputs(request([input({ name: 'input', shape: [2n] })], [raw]));
    expect(fixedWidthData(tensor!).buffer).toBe(backing);
  });

  it('rejects typed contents alongside raw_input_contents, naming the tensor', () => {
    const req = request(
      [input({ name: 'a' }), input({ name: 'b', contents: { ...emptyContents(), fp32Contents: [1] } })],
      [fp32(1), fp32(2)],
    );
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toBe(
      'input "b": has typed contents but the message uses raw_input_contents; typed and raw contents must not be mixed',
    );
  });

  it('rejects fewer raw entries than inputs, naming the first input without one', () => {
    const req = request([input({ name: 'a' }), input({ name: 'b' })], [fp32(1)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toContain(
      'input "b": has no raw_input_contents entry (2 inputs, 1 raw_input_contents entries)',
    );
  });

  it('rejects more raw entries than inputs', () => {
    const req = request([input({ name: 'a' })], [fp32(1), fp32(2)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toContain(
      'raw_input_contents has 2 entries but there are only 1 inputs',
    );
  });

  it('rejects a duplicate input name', () => {
    const req = request([input({ name: 'a' }), input({ name: 'a' })], [fp32(1), fp32(2)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toBe(
      'input "a": appears more than once',
    );
  });

  it('rejects an empty input name, naming its index', () => {
    const req = request([input({ name: '' })], [fp32(1)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toBe(
      'input at index 0: name is empty',
    );
  });

  it('rejects an unknown datatype', () => {
    const req = request([input({ name: 'a', datatype: 'FLOAT32' })], [fp32(1)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toContain(
      'input "a": unknown datatype "FLOAT32"; expected one of BOOL, UINT8',
    );
  });

  const badShapes: [string, bigint[], string][] = [
    ['a negative dim', [2n, -3n], 'dimension 1 of shape [2,-3] is -3'],
    ['a -1 dim', [-1n, 4n], "dimension 0 of shape [-1,4] is -1; a tensor's shape must be concrete"],
    // Printed exactly, not as the rounded float 4611686018427388000.
    [
      'a dim past 2^53',
      [2n, 2n ** 62n],
      'dimension 1 of shape [2,4611686018427387904] is 4611686018427387904;',
    ],
    [
      'an element count past Number.MAX_SAFE_INTEGER',
      [2n ** 26n, 2n ** 26n, 4n],
      'has more than Number.MAX_SAFE_INTEGER elements',
    ],
  ];
  for (const [what, shape, expected] of badShapes) {
    it(`rejects ${what} in a request shape`, () => {
      const req = request([input({ name: 'a', shape })], [new Uint8Array(0)]);
      const message = thrownMessage(() => decodeInferInputs(req), InvalidArgumentError);
      expect(message).toContain('input "a": ');
      expect(message).toContain(expected);
    });
  }

  it('rejects a non-integer dim in a hand-built request', () => {
    const req = request([input({ name: 'a', shape: [2.5 as unknown as bigint] })], [new Uint8Array(0)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toContain(
      'input "a": dimension 0 of shape [2.5] is 2.5',
    );
  });

  it('rejects an input with elements but no contents', () => {
    const req = request([input({ name: 'a', shape: [2n] })]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toBe(
      'input "a": has no contents; send typed contents or raw_input_contents',
    );
  });

  it('accepts zero-element inputs with no contents, FP16 included', () => {
    const req = request([input({ name: 'a', datatype: 'FP16', shape: [0n, 3n] })]);
    const [tensor] = decodeInferInputs(req);
    expect(tensor!.data).toHaveLength(0);
    expect(tensor!.shape).toEqual([0, 3]);
  });

  it('rejects raw contents of the wrong length, naming input and byte counts', () => {
    const req = request([input({ name: 'input', shape: [2n] })], [fp32(1)]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toBe(
      'input "input": expected 8 bytes of raw contents (2 FP32 elements x 4 bytes), got 4',
    );
  });

  it('rejects FP16 typed contents', () => {
    const req = request([
      input({ name: 'h', datatype: 'FP16', contents: { ...emptyContents(), fp32Contents: [1] } }),
    ]);
    expect(thrownMessage(() => decodeInferInputs(req), InvalidArgumentError)).toContain(
      'input "h": FP16 must be sent as raw contents',
    );
  });

  it('accepts an empty contents message alongside raw contents (it carries nothing)', () => {
    const req = request([input({ name: 'a', contents: emptyContents() })], [fp32(7)]);
    expect([...decodeInferInputs(req)[0]!.data]).toEqual([7]);
  });

  it('enforces maxTensors, maxRank and maxElementsPerTensor as RESOURCE_EXHAUSTED', () => {
    const two = request([input({ name: 'a' }), input({ name: 'b' })], [fp32(1), fp32(2)]);
    expect(thrownMessage(() => decodeInferInputs(two, { maxTensors: 1 }), ResourceExhaustedError)).toContain(
      '2 inputs exceed the limit of 1 per message (--max-tensors-per-request)',
    );
    const deep = request([input({ name: 'a', shape: [1n, 1n, 1n] })], [fp32(1)]);
    expect(thrownMessage(() => decodeInferInputs(deep, { maxRank: 2 }), ResourceExhaustedError)).toContain(
      'input "a": shape [1,1,1] has 3 dimensions, over the limit of 2 (the rank limit, not configurable)',
    );
    const big = request([input({ name: 'a', shape: [2n] })], [fp32(1, 2)]);
    expect(
      thrownMessage(() => decodeInferInputs(big, { maxElementsPerTensor: 1 }), ResourceExhaustedError),
    ).toContain('input "a": shape [2] has 2 elements, over the limit of 1 (--max-elements-per-tensor)');
  });

  it('rejects encoding two inputs with the same name', () => {
    const t = { name: 'a', datatype: 'INT8', shape: [0], data: new Int8Array(0) } as const;
    expect(thrownMessage(() => encodeInferInputs([t, t], 'raw'), InvalidArgumentError)).toBe(
      'input "a": appears more than once',
    );
  });
});
