import { fp16ToNumber } from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toTensor } from './to-tensor.js';

const numbers = (values: number[], shape = [values.length]) => ({
  shape,
  data: { kind: 'number' as const, values },
});

describe('toTensor', () => {
  it('sends --datatype over the input, the input over metadata, metadata over the file, then FP32', () => {
    const stored = { ...numbers([1, 2]), storedAs: 'FP64' as const };
    expect(toTensor(stored, 'x').datatype).toBe('FP64');
    expect(toTensor(stored, 'x', { declared: 'FP32' }).datatype).toBe('FP32');
    expect(toTensor({ ...stored, datatype: 'INT32' }, 'x', { declared: 'FP32' }).datatype).toBe('INT32');
    expect(
      toTensor({ ...stored, datatype: 'INT32' }, 'x', { force: 'INT64', declared: 'FP32' }).datatype,
    ).toBe('INT64');
    expect(toTensor(numbers([1]), 'x').datatype).toBe('FP32');
    expect(toTensor({ shape: [1], data: { kind: 'string', values: ['a'] } }, 'x').datatype).toBe('BYTES');
    expect(toTensor({ shape: [1], data: { kind: 'boolean', values: [true] } }, 'x').datatype).toBe('BOOL');
  });

  it('keeps every integer of each integer datatype exactly, and refuses one out of range naming it', () => {
    const ranges = {
      INT8: [-128, 127],
      UINT8: [0, 255],
      INT16: [-32768, 32767],
      UINT16: [0, 65535],
      INT32: [-(2 ** 31), 2 ** 31 - 1],
      UINT32: [0, 2 ** 32 - 1],
    } as const;
    for (const [datatype, [min, max]] of Object.entries(ranges)) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min, max }), { minLength: 1, maxLength: 8 }), (values) => {
          const tensor = toTensor(numbers(values), 'x', { force: datatype as 'INT8' });
          expect(Array.from(tensor.data as ArrayLike<number>)).toEqual(values);
        }),
      );
      expect(() => toTensor(numbers([max + 1]), 'x', { force: datatype as 'INT8' })).toThrow(
        `input "x": element 0 (${max + 1}) is not an integer in ${datatype}'s range ${min}..${max}`,
      );
    }
    expect(() => toTensor(numbers([0.5]), 'x', { force: 'INT32' })).toThrow(
      /element 0 \(0\.5\) is not an integer/,
    );
  });

  it('takes int64 from bigints or digit strings, and BOOL from booleans or 0/1', () => {
    expect(
      toTensor({ shape: [2], data: { kind: 'string', values: ['9223372036854775807', '-1'] } }, 'x', {
        force: 'INT64',
      }).data,
    ).toEqual(new BigInt64Array([9223372036854775807n, -1n]));
    expect(() =>
      toTensor({ shape: [1], data: { kind: 'bigint', values: [2n ** 64n] } }, 'x', { force: 'UINT64' }),
    ).toThrow("out of UINT64's range");
    expect(toTensor(numbers([0, 1]), 'b', { force: 'BOOL' }).data).toEqual(new Uint8Array([0, 1]));
    expect(() => toTensor(numbers([2]), 'b', { force: 'BOOL' })).toThrow(
      'input "b": element 0 (2) is not a BOOL',
    );
  });

  it("refuses a finite number past FP32's range instead of sending Infinity; FP64 keeps it", () => {
    expect(() => toTensor(numbers([1, -1e300]), 'x', { declared: 'FP32' })).toThrow(
      `input "x": element 1 (-1e+300) is out of FP32's range (at most 3.4028234663852886e+38 in magnitude)`,
    );
    // The largest FP32 itself, and values that round to it, still go.
    expect(Array.from(toTensor(numbers([3.4028234663852886e38]), 'x').data as Float32Array)).toEqual([
      3.4028234663852886e38,
    ]);
    expect(toTensor(numbers([1e300]), 'x', { declared: 'FP64' }).data).toEqual(Float64Array.from([1e300]));
  });

  it('refuses data that does not fill the shape, as a usage error', () => {
    expect(() => toTensor(numbers([1, 2, 3], [2, 2]), 'x')).toThrow(
      /shape \[2,2\] needs 4 elements, data has 3|needs 4 elements/,
    );
  });

  it('widens float16 bit patterns to the declared float type', () => {
    const half = {
      shape: [3],
      storedAs: 'FP16' as const,
      data: { kind: 'bits16' as const, values: new Uint16Array([0x3c00, 0xc000, 0x3555]) },
    };
    expect(toTensor(half, 'h').datatype).toBe('FP16');
    expect(Array.from(toTensor(half, 'h', { declared: 'FP32' }).data as Float32Array)).toEqual([
      1,
      -2,
      Math.fround(0.333251953125),
    ]);
    expect(fp16ToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(fp16ToNumber(0x0001)).toBe(2 ** -24);
  });
});
