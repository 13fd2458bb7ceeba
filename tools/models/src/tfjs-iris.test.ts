import { describe, expect, it } from 'vitest';
import { seededPermutation } from './tfjs-iris.js';

describe('seededPermutation', () => {
  it('is a permutation of 0..n-1', () => {
    const order = seededPermutation(150, 42);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('is the same for the same seed and differs for another', () => {
    expect(seededPermutation(50, 1)).toEqual(seededPermutation(50, 1));
    expect(seededPermutation(50, 1)).not.toEqual(seededPermutation(50, 2));
  });
});
