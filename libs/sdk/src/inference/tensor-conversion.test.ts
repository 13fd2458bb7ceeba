/**
 * Inputs in, outputs out, through the real wire encoding: what a caller passes is encoded
 * by buildInferRequest, serialised to protobuf bytes and back, decoded as a server would,
 * answered with those tensors as outputs (serialised again), and read back with
 * decodeInferResult. What comes out must be what went in.
 */
import { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import {
  type ContentsMode,
  decodeInferInputs,
  encodeInferOutputs,
  responseContentsMode,
} from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InferInputs, Nested } from './infer-input.js';
import { toTensor } from './infer-input.js';
import { buildInferRequest, type InferRequestOptions } from './infer-request.js';
import { decodeInferResult, type InferResult } from './infer-result.js';

/** A server that answers with its inputs, over the real protobuf bytes. */
function echoThroughWire(inputs: InferInputs, options: InferRequestOptions = {}): InferResult {
  const request = inference.ModelInferRequest.decode(
    inference.ModelInferRequest.encode(buildInferRequest('echo', inputs, options)).finish(),
  );
  const tensors = decodeInferInputs(request);
  const mode: ContentsMode = responseContentsMode(request);
  const response = inference.ModelInferResponse.fromPartial({
    modelName: request.modelName,
    id: request.id,
    parameters: request.parameters,
    ...encodeInferOutputs(tensors, mode),
  });
  return decodeInferResult(
    inference.ModelInferResponse.decode(inference.ModelInferResponse.encode(response).finish()),
  );
}

/** Nested arrays of `shape` filled from `element`. */
function nestedOf<T>(element: fc.Arbitrary<T>): fc.Arbitrary<{ shape: number[]; nested: Nested<T> }> {
  return fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((shape) => {
    const count = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(element, { minLength: count, maxLength: count })
      .map((flat) => ({ shape, nested: reshape(flat, shape) }));
  });
}

function reshape<T>(flat: readonly T[], shape: readonly number[]): Nested<T> {
  if (shape.length === 1) return [...flat];
  const stride = flat.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) =>
    reshape(flat.slice(i * stride, (i + 1) * stride), shape.slice(1)),
  );
}

const modes = fc.constantFrom<ContentsMode>('raw', 'typed');

describe('inputs in, outputs out', () => {
  it('keeps FP64 numbers, shapes and nesting exactly', () => {
    fc.assert(
      fc.property(nestedOf(fc.double({ noNaN: true })), modes, ({ shape, nested }, contents) => {
        const out = echoThroughWire([{ name: 'x', data: nested, datatype: 'FP64' }], { contents }).output(
          'x',
        );
        expect(out.datatype).toBe('FP64');
        expect(out.shape).toEqual(shape);
        expect(out.toNested()).toEqual(nested);
      }),
    );
  });

  it('sends plain numbers as FP32 by default, rounded as Float32 rounds them', () => {
    fc.assert(
      fc.property(nestedOf(fc.float({ noNaN: true })), modes, ({ nested }, contents) => {
        const out = echoThroughWire({ x: nested }, { contents }).output('x');
        expect(out.datatype).toBe('FP32');
        expect(out.data).toBeInstanceOf(Float32Array);
        expect(out.toNested()).toEqual(nested);
      }),
    );
  });

  it('keeps integers of every width, bigints for 64 bits', () => {
    const cases = [
      ['INT8', fc.integer({ min: -128, max: 127 })],
      ['UINT16', fc.integer({ min: 0, max: 0xffff })],
      ['INT32', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
      ['UINT32', fc.integer({ min: 0, max: 2 ** 32 - 1 })],
    ] as const;
    for (const [datatype, element] of cases) {
      fc.assert(
        fc.property(nestedOf<number>(element), modes, ({ nested }, contents) => {
          const out = echoThroughWire([{ name: 'i', data: nested, datatype }], { contents }).output('i');
          expect(out.datatype).toBe(datatype);
          expect(out.toNested()).toEqual(nested);
        }),
        { numRuns: 30 },
      );
    }
    fc.assert(
      fc.property(
        nestedOf(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
        modes,
        ({ nested }, contents) => {
          const out = echoThroughWire({ big: nested }, { contents }).output('big');
          expect(out.datatype).toBe('INT64');
          expect(out.toNested()).toEqual(nested);
        },
      ),
    );
  });

  it('keeps booleans as BOOL and strings as BYTES', () => {
    fc.assert(
      fc.property(nestedOf(fc.boolean()), nestedOf(fc.string()), modes, (bools, strings, contents) => {
        const result = echoThroughWire({ b: bools.nested, s: strings.nested }, { contents });
        expect(result.output('b').datatype).toBe('BOOL');
        expect(result.output('b').toNested()).toEqual(bools.nested);
        expect(result.output('s').datatype).toBe('BYTES');
        expect(result.output('s').toNested()).toEqual(strings.nested);
      }),
    );
  });

  it('keeps typed arrays with a given shape, without copying them into the tensor', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 24, noDefaultInfinity: true }),
        modes,
        (values, contents) => {
          const shape = [1, values.length];
          expect(toTensor({ name: 't', data: values, shape }).data).toBe(values);
          const out = echoThroughWire([{ name: 't', data: values, shape }], { contents }).output('t');
          expect(out.shape).toEqual(shape);
          expect([...(out.data as Float32Array)]).toEqual([...values]);
        },
      ),
    );
  });

  it('reads arrays of typed-array rows with the rows datatype, and record keys name the inputs', () => {
    const rows = [Float64Array.from([1.5, 2]), Float64Array.from([3, 4.25])];
    const result = echoThroughWire({
      rows,
      renamed: { name: 'ignored', datatype: 'INT32', shape: [2], data: [7, 8] } as never,
    });
    expect(result.output('rows').datatype).toBe('FP64');
    expect(result.output('rows').toNested()).toEqual([
      [1.5, 2],
      [3, 4.25],
    ]);
    expect(result.output('renamed').toNested()).toEqual([7, 8]);
    expect(() => toTensor({ name: 'x', data: [Float32Array.from([1, 2]), Float32Array.from([3])] })).toThrow(
      /^input "x": ragged nesting at data\[1\]: expected 2 elements/,
    );
  });

  it('reads FP16 and BF16 bit patterns as numbers in toNested', () => {
    const out = echoThroughWire([
      { name: 'h', data: new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]), datatype: 'FP16' },
      { name: 'b', data: new Uint16Array([0x3f80, 0xc040]), datatype: 'BF16' },
    ]);
    expect(out.output('h').toNested()).toEqual([1, -2, Number.POSITIVE_INFINITY, 2 ** -24]);
    expect(out.output('b').toNested()).toEqual([1, -3]);
  });

  it('answers a single string as one BYTES element and keeps request id and parameters', () => {
    const result = echoThroughWire({ text: 'héllo' }, { id: 'req-1', parameters: { runtime: 'tfjs', n: 3 } });
    expect(result.output('text').shape).toEqual([1]);
    expect(result.output('text').strings()).toEqual(['héllo']);
    expect(result.id).toBe('req-1');
    expect(result.parameters).toEqual({ runtime: 'tfjs', n: 3 });
  });
});

describe('inputs refused before any call, naming the input and the rule', () => {
  const refused = (inputs: InferInputs, message: RegExp) => {
    let error: unknown;
    try {
      buildInferRequest('m', inputs);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  };

  it('keeps Infinity and NaN given as such in FP32, and FP64 takes 1e39', () => {
    const fp32 = toTensor({ name: 'x', data: [Number.POSITIVE_INFINITY, Number.NaN] });
    expect(Array.from(fp32.data as Float32Array)).toEqual([Number.POSITIVE_INFINITY, Number.NaN]);
    const fp64 = toTensor({ name: 'x', data: [1e39], datatype: 'FP64' });
    expect(Array.from(fp64.data as Float64Array)).toEqual([1e39]);
  });

  it('refuses ragged nesting', () => {
    refused({ x: [[1, 2], [3]] }, /^input "x": ragged nesting at data\[1\]: expected 2 elements/);
    refused({ x: [[1, 2], 3] as never }, /^input "x": ragged nesting at data\[1\]/);
  });

  it('refuses elements out of the datatype', () => {
    refused({ x: [[1, 1e39]] }, /^input "x": element 1 is 1e\+39; FP32 cannot hold it \(outside its range\)/);
    refused(
      [{ name: 'x', data: [1, 300], datatype: 'UINT8' }],
      /^input "x": element 1 is 300; UINT8 needs integers in \[0, 255\]/,
    );
    refused(
      [{ name: 'x', data: [1.5], datatype: 'INT32' }],
      /^input "x": element 0 is 1.5; INT32 needs integers/,
    );
    refused(
      [{ name: 'x', data: [2 ** 64], datatype: 'INT64' }],
      /^input "x": element 0 .*INT64 needs bigints or safe integers/,
    );
    refused(
      [{ name: 'x', data: [1, 'a'] as never, datatype: 'FP32' }],
      /^input "x": element 1 is "a"; FP32 needs numbers/,
    );
    refused(
      [{ name: 'x', data: [0.5], datatype: 'FP16' }],
      /^input "x": FP16 takes its 16-bit patterns in a Uint16Array/,
    );
  });

  it('refuses a shape that does not hold the elements', () => {
    refused(
      [{ name: 'x', data: [1, 2, 3], shape: [2, 2] }],
      /^input "x": shape \[2,2\] needs 4 elements, data has 3/,
    );
  });

  it('refuses an empty model name and a non-positive classification', () => {
    expect(() => buildInferRequest('', { x: [1] })).toThrow(/^model: must name a model or graph/);
    expect(() => buildInferRequest('m', { x: [1] }, { outputs: [{ name: 'y', classification: 0 }] })).toThrow(
      /^output "y": classification must be a positive integer, got 0/,
    );
  });
});

describe('requested outputs', () => {
  it('ask for raw answers when the request is raw, and carry classification', () => {
    const request = buildInferRequest('m', { x: [1] }, { outputs: ['a', { name: 'b', classification: 2 }] });
    expect(request.outputs.map((o) => [o.name, o.parameters])).toEqual([
      ['a', { binary_data: { boolParam: true } }],
      ['b', { binary_data: { boolParam: true }, classification: { int64Param: 2n } }],
    ]);
    const typed = buildInferRequest('m', { x: [1] }, { contents: 'typed', outputs: ['a'] });
    expect(typed.outputs[0]!.parameters).toEqual({});
    expect(typed.rawInputContents).toEqual([]);
    expect(typed.inputs[0]!.contents?.fp32Contents).toEqual([1]);
  });
});
