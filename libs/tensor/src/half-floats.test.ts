import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bf16ToNumber, fp16ToNumber } from './half-floats.js';

describe('half-precision patterns as numbers', () => {
  it('reads FP16 normals, subnormals, zeros, infinities and NaN', () => {
    expect(fp16ToNumber(0x3c00)).toBe(1);
    expect(fp16ToNumber(0xc000)).toBe(-2);
    expect(fp16ToNumber(0x7bff)).toBe(65504);
    expect(fp16ToNumber(0x0001)).toBe(2 ** -24);
    expect(Object.is(fp16ToNumber(0x8000), -0)).toBe(true);
    expect(fp16ToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(fp16ToNumber(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(fp16ToNumber(0x7e00)).toBeNaN();
  });

  it('reads a BF16 pattern as the binary32 whose top half it is', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (value) => {
        const bits = new Uint32Array(Float32Array.of(value).buffer)[0]!;
        const top = bits >>> 16;
        const expected = new Float32Array(new Uint32Array([top << 16]).buffer)[0]!;
        expect(Object.is(bf16ToNumber(top), expected)).toBe(true);
      }),
    );
  });
});
