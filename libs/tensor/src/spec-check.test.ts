import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { thrownMessage } from '../test/arbitraries.js';
import { checkAgainstSpec } from './spec-check.js';
import type { Tensor, TensorSpec } from './types.js';

const spec: TensorSpec = { name: 'input', datatype: 'FP32', shape: [-1, 4] };

function fp32(shape: number[]): Tensor {
  return { name: 'input', datatype: 'FP32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

describe('checkAgainstSpec', () => {
  it('accepts any size in a -1 dim and equal fixed dims', () => {
    expect(() => checkAgainstSpec(fp32([2, 4]), spec, 'input')).not.toThrow();
    expect(() => checkAgainstSpec(fp32([0, 4]), spec, 'input')).not.toThrow();
  });

  it('rejects another datatype', () => {
    const tensor: Tensor = { name: 'input', datatype: 'INT8', shape: [1, 4], data: new Int8Array(4) };
    expect(thrownMessage(() => checkAgainstSpec(tensor, spec, 'input'), InvalidArgumentError)).toBe(
      'input "input": expected datatype FP32, got INT8',
    );
  });

  it('rejects a fixed dim that differs', () => {
    expect(thrownMessage(() => checkAgainstSpec(fp32([2, 5]), spec, 'input'), InvalidArgumentError)).toBe(
      'input "input": expected shape [-1,4], got [2,5]',
    );
  });

  it('rejects another rank, and names outputs as outputs', () => {
    expect(thrownMessage(() => checkAgainstSpec(fp32([2, 4, 1]), spec, 'output'), InvalidArgumentError)).toBe(
      'output "input": expected shape [-1,4], got [2,4,1]',
    );
    expect(thrownMessage(() => checkAgainstSpec(fp32([4]), spec, 'input'), InvalidArgumentError)).toBe(
      'input "input": expected shape [-1,4], got [4]',
    );
  });
});
