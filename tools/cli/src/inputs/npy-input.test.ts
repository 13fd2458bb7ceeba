import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNpyInput } from './npy-input.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/npy');

/** The element kinds the writer below covers, with their width and DataView setter. */
const DTYPES = {
  i1: { size: 1, datatype: 'INT8', arb: fc.integer({ min: -128, max: 127 }), set: 'setInt8' },
  u1: { size: 1, datatype: 'UINT8', arb: fc.integer({ min: 0, max: 255 }), set: 'setUint8' },
  i2: { size: 2, datatype: 'INT16', arb: fc.integer({ min: -32768, max: 32767 }), set: 'setInt16' },
  u2: { size: 2, datatype: 'UINT16', arb: fc.integer({ min: 0, max: 65535 }), set: 'setUint16' },
  i4: { size: 4, datatype: 'INT32', arb: fc.integer(), set: 'setInt32' },
  u4: { size: 4, datatype: 'UINT32', arb: fc.nat({ max: 0xffffffff }), set: 'setUint32' },
  f4: { size: 4, datatype: 'FP32', arb: fc.float({ noNaN: true }), set: 'setFloat32' },
  f8: { size: 8, datatype: 'FP64', arb: fc.double({ noNaN: true }), set: 'setFloat64' },
  i8: {
    size: 8,
    datatype: 'INT64',
    arb: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    set: 'setBigInt64',
  },
  u8: { size: 8, datatype: 'UINT64', arb: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), set: 'setBigUint64' },
} as const;
type Code = keyof typeof DTYPES;

/** Writes an .npy file as the format's spec describes (version 1.0, header padded to 64 bytes). */
function writeNpy(
  code: Code,
  order: '<' | '>',
  shape: readonly number[],
  values: readonly (number | bigint)[],
  version = 1,
): Uint8Array {
  const { size, set } = DTYPES[code];
  const descr = size === 1 ? `|${code}` : `${order}${code}`;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  header += `${' '.repeat(64 - ((prefix + header.length + 1) % 64))}\n`;
  const bytes = new Uint8Array(prefix + header.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  bytes.set(new TextEncoder().encode(header), prefix);
  const start = prefix + header.length;
  values.forEach((value, i) => {
    (view[set] as (offset: number, value: number | bigint, little: boolean) => void).call(
      view,
      start + i * size,
      value,
      order === '<',
    );
  });
  return bytes;
}

describe('parseNpyInput', () => {
  it('reads back every dtype, byte order, version and shape it was written with', () => {
    const arbitrary = fc
      .record({
        code: fc.constantFrom(...(Object.keys(DTYPES) as Code[])),
        order: fc.constantFrom('<' as const, '>' as const),
        version: fc.constantFrom(1, 2),
        shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      })
      .chain((c) =>
        fc
          .array(DTYPES[c.code].arb as fc.Arbitrary<number | bigint>, {
            minLength: c.shape.reduce((a, b) => a * b, 1),
            maxLength: c.shape.reduce((a, b) => a * b, 1),
          })
          .map((values) => ({ ...c, values })),
      );
    fc.assert(
      fc.property(arbitrary, ({ code, order, version, shape, values }) => {
        const parsed = parseNpyInput(writeNpy(code, order, shape, values, version), 'x.npy');
        expect(parsed.shape).toEqual(shape);
        expect(parsed.storedAs).toBe(DTYPES[code].datatype);
        expect(Array.from(parsed.data.values as ArrayLike<number | bigint>)).toEqual(values);
      }),
    );
  });

  it('refuses every truncation of a valid file with a sentence, never a crash', () => {
    const whole = writeNpy('f4', '>', [2, 3], [1, 2, 3, 4, 5, 6]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: whole.length - 1 }), (length) => {
        expect(() => parseNpyInput(whole.subarray(0, length), 'x.npy')).toThrow(/^x\.npy: /);
      }),
    );
  });

  it('never throws anything but a usage error on arbitrary bytes after the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const bytes = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, ...tail]);
        try {
          parseNpyInput(bytes, 'x.npy');
        } catch (error) {
          expect((error as Error).name).toBe('UsageError');
        }
      }),
    );
  });

  describe("numpy's own files (test/fixtures/npy, made by make-fixtures.py)", () => {
    const read = (name: string) => parseNpyInput(readFileSync(path.join(FIXTURES, `${name}.npy`)), name);
    it.each([
      ['f4-le-2x3', 'FP32', [2, 3]],
      ['f4-be-2x3', 'FP32', [2, 3]],
      ['f8-be-3', 'FP64', [3]],
      ['u2-be-2x2', 'UINT16', [2, 2]],
      ['i1-4', 'INT8', [4]],
      ['f4-v2-2x2', 'FP32', [2, 2]],
      ['i4-scalar', 'INT32', []],
    ] as const)('%s: %s %j holding 0, 1, 2, ...', (name, datatype, shape) => {
      const parsed = read(name);
      expect(parsed.storedAs).toBe(datatype);
      expect(parsed.shape).toEqual(shape);
      const count = shape.reduce((a: number, b: number) => a * b, 1);
      expect(Array.from(parsed.data.values as ArrayLike<number>)).toEqual([...Array(count).keys()]);
    });

    it('int64 as bigints, bool as 0/1, float16 as its bit patterns', () => {
      expect(Array.from(read('i8-le-2x2').data.values as BigInt64Array)).toEqual([0n, 1n, 2n, 3n]);
      expect(read('b1-3')).toMatchObject({ storedAs: 'BOOL', data: { values: new Uint8Array([0, 1, 0]) } });
      // 0.0 and 1.0 in IEEE half precision.
      expect(read('f2-le-2')).toMatchObject({
        storedAs: 'FP16',
        data: { kind: 'bits16', values: new Uint16Array([0, 0x3c00]) },
      });
    });

    it('reorders a Fortran-order array to row-major', () => {
      const parsed = read('f4-fortran-2x3x2');
      expect(parsed.shape).toEqual([2, 3, 2]);
      expect(Array.from(parsed.data.values as Float32Array)).toEqual([...Array(12).keys()]);
    });
  });

  it('names what it cannot read', () => {
    const bad = (header: string) => {
      const text = `${header}\n`;
      return new Uint8Array([
        0x93,
        0x4e,
        0x55,
        0x4d,
        0x50,
        0x59,
        1,
        0,
        text.length,
        0,
        ...new TextEncoder().encode(text),
      ]);
    };
    expect(() => parseNpyInput(new Uint8Array([1, 2, 3]), 'a.npy')).toThrow('a.npy: not an .npy file');
    expect(() =>
      parseNpyInput(bad("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }"), 'a.npy'),
    ).toThrow('a.npy: dtype "<U3" is not supported');
    expect(() =>
      parseNpyInput(bad("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), 'a.npy'),
    ).toThrow('a.npy: structured (record) arrays are not supported');
    expect(() =>
      parseNpyInput(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), 'a.npy'),
    ).toThrow('a.npy: shape (2) of <f4 needs 8 bytes of data, the file has 0');
  });

  it('reads a b1 byte other than 0 as true (1), as numpy does, not as its number', () => {
    const bytes = writeNpy('u1', '<', [4], [0, 1, 2, 255]);
    // The same bytes declared bool: patch the header's descr from |u1 to |b1.
    const text = new TextDecoder('latin1').decode(bytes);
    bytes.set(new TextEncoder().encode('|b1'), text.indexOf('|u1'));
    const input = parseNpyInput(bytes, 'b.npy');
    expect(input.storedAs).toBe('BOOL');
    expect(Array.from(input.data.values as Uint8Array)).toEqual([0, 1, 1, 1]);
  });
});
