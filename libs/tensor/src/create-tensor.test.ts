import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { thrownMessage } from '../test/arbitraries.js';
import { createTensor } from './create-tensor.js';
import type { Datatype, TensorDataByType } from './types.js';

function create(datatype: Datatype, shape: number[], data: unknown) {
  return () => createTensor('t', datatype, shape, data as TensorDataByType[Datatype]);
}

describe('createTensor', () => {
  it('keeps valid data without copying', () => {
    const data = Float32Array.of(1, 2, 3, 4);
    const tensor = createTensor('t', 'FP32', [2, 2], data);
    expect(tensor.data).toBe(data);
    expect(createTensor('s', 'BYTES', [0], []).data).toEqual([]);
  });

  it('rejects data whose length does not match the shape', () => {
    expect(thrownMessage(create('FP32', [2, 2], new Float32Array(3)), InvalidArgumentError)).toBe(
      'tensor "t": shape [2,2] needs 4 elements, data has 3',
    );
  });

  it('rejects data of the wrong class', () => {
    expect(thrownMessage(create('INT64', [1], Int32Array.of(1)), InvalidArgumentError)).toBe(
      'tensor "t": INT64 data must be a BigInt64Array, got Int32Array',
    );
    expect(thrownMessage(create('BYTES', [1], ['text']), InvalidArgumentError)).toBe(
      'tensor "t": BYTES element 0 is not a Uint8Array',
    );
  });

  it('rejects -1, negative and fractional dims, and unknown datatypes', () => {
    expect(thrownMessage(create('FP32', [-1], new Float32Array(0)), InvalidArgumentError)).toContain(
      'tensor "t"',
    );
    expect(thrownMessage(create('FP32', [1.5], new Float32Array(0)), InvalidArgumentError)).toContain(
      'dimension 0 of shape [1.5] is 1.5',
    );
    expect(thrownMessage(create('FP8' as Datatype, [0], []), InvalidArgumentError)).toBe(
      'tensor "t": unknown datatype "FP8"',
    );
  });

  it('rejects BOOL values other than 0 and 1', () => {
    expect(thrownMessage(create('BOOL', [2], Uint8Array.of(1, 255)), InvalidArgumentError)).toBe(
      'tensor "t": BOOL element 1 is 255; expected 0 or 1',
    );
  });
});
