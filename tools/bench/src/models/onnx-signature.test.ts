import { describe, expect, it } from 'vitest';
import { resolveShape, sampleInput } from './onnx-signature.js';

describe('resolveShape', () => {
  it('sets the batch dimension, symbolic or -1, and keeps fixed ones', () => {
    expect(resolveShape('image', ['batch', 3, 64, 64], 1)).toEqual([1, 3, 64, 64]);
    expect(resolveShape('input', [-1, 4], 8)).toEqual([8, 4]);
  });

  it('refuses a variable dimension other than the batch', () => {
    expect(() => resolveShape('image', ['batch', 3, 'h', 64], 1)).toThrow(
      'tensor "image": dimension 2 is variable (h); only the batch dimension may be',
    );
    expect(() => resolveShape('x', [], 1)).toThrow(/declares no shape/);
  });
});

describe('sampleInput', () => {
  it('is deterministic and in [0, 1)', () => {
    const a = sampleInput([2, 4]);
    expect(a).toHaveLength(8);
    expect(Array.from(a)).toEqual(Array.from(sampleInput([2, 4])));
    expect(Array.from(a).every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
