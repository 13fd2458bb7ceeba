import { describe, expect, it } from 'vitest';
import { bytesPerElement, contentsFieldOf, DATATYPE_INFO, isDatatype, isRawOnly } from './datatype.js';
import { elementCount, formatShape } from './shape.js';
import { DATATYPES } from './types.js';

describe('datatype facts', () => {
  it('recognises exactly the V2 datatype names, case-sensitively', () => {
    for (const d of DATATYPES) expect(isDatatype(d)).toBe(true);
    for (const s of ['fp32', 'FLOAT32', 'STRING', '', 'toString', '__proto__'])
      expect(isDatatype(s)).toBe(false);
  });

  it('gives each element width, and none for BYTES', () => {
    const widths = Object.fromEntries(DATATYPES.map((d) => [d, bytesPerElement(d)]));
    expect(widths).toEqual({
      BOOL: 1,
      UINT8: 1,
      UINT16: 2,
      UINT32: 4,
      UINT64: 8,
      INT8: 1,
      INT16: 2,
      INT32: 4,
      INT64: 8,
      FP16: 2,
      FP32: 4,
      FP64: 8,
      BF16: 2,
      BYTES: undefined,
    });
  });

  it('maps datatypes to the shared typed-contents fields; FP16 and BF16 have none', () => {
    expect(['INT8', 'INT16', 'INT32'].map((d) => contentsFieldOf(d as 'INT8'))).toEqual(
      Array(3).fill('intContents'),
    );
    expect(['UINT8', 'UINT16', 'UINT32'].map((d) => contentsFieldOf(d as 'UINT8'))).toEqual(
      Array(3).fill('uintContents'),
    );
    expect(contentsFieldOf('BOOL')).toBe('boolContents');
    expect(contentsFieldOf('INT64')).toBe('int64Contents');
    expect(contentsFieldOf('UINT64')).toBe('uint64Contents');
    expect(contentsFieldOf('FP32')).toBe('fp32Contents');
    expect(contentsFieldOf('FP64')).toBe('fp64Contents');
    expect(contentsFieldOf('BYTES')).toBe('bytesContents');
    expect(contentsFieldOf('FP16')).toBeUndefined();
    expect(contentsFieldOf('BF16')).toBeUndefined();
    expect(DATATYPES.filter(isRawOnly)).toEqual(['FP16', 'BF16']);
  });
});

describe('shapes', () => {
  it('counts elements: a scalar has one, a zero-sized dim makes none', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([5, 0, 7])).toBe(0);
  });

  it('formats shapes without spaces', () => {
    expect(formatShape([-1, 4])).toBe('[-1,4]');
    expect(formatShape([2n, 3n])).toBe('[2,3]');
    expect(formatShape([])).toBe('[]');
  });

  it('keeps one consistent table: storage width matches wire width, integer ranges fit their storage', () => {
    for (const d of DATATYPES) {
      const info = DATATYPE_INFO[d];
      if (d === 'BYTES') {
        expect(info.arrayClass).toBeUndefined();
        continue;
      }
      expect(info.arrayClass!.BYTES_PER_ELEMENT, d).toBe(info.bytesPerElement);
      if (info.element === 'int') {
        const [min, max] = info.range!;
        const stored = new info.arrayClass!(2) as unknown as number[];
        stored[0] = min;
        stored[1] = max;
        expect([stored[0], stored[1]], d).toEqual([min, max]);
      }
      expect(info.element === 'bits', d).toBe(isRawOnly(d));
    }
  });
});
