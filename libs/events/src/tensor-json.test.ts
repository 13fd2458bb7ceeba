import {
  DATATYPE_INFO,
  DATATYPES,
  type Datatype,
  type FixedWidthDatatype,
  type Tensor,
} from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensorFromJson, tensorToJson } from './tensor-json.js';

/** A tensor of `datatype` with arbitrary element bits (NaN payloads, -0, extremes included). */
function tensorArb(datatype: Datatype): fc.Arbitrary<Tensor> {
  return fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
    const count = shape.reduce((a, b) => a * b, 1);
    if (datatype === 'BYTES') {
      return fc
        .array(fc.uint8Array({ maxLength: 12 }), { minLength: count, maxLength: count })
        .map((data) => ({ name: 't', datatype, shape, data }) as Tensor);
    }
    const info = DATATYPE_INFO[datatype as FixedWidthDatatype];
    const width = info.bytesPerElement;
    return fc.uint8Array({ minLength: count * width, maxLength: count * width }).map((bytes) => {
      const copy = new ArrayBuffer(bytes.byteLength);
      new Uint8Array(copy).set(bytes);
      const stored = new Uint8Array(copy);
      if (info.element === 'bool') for (let i = 0; i < stored.length; i++) stored[i] = stored[i]! & 1;
      return { name: 't', datatype, shape, data: new info.arrayClass(copy, 0, count) } as Tensor;
    });
  });
}

/** Element bytes, so NaN payloads compare bit for bit. */
function bytesOf(tensor: Tensor): unknown {
  if (tensor.datatype === 'BYTES') return tensor.data.map((el) => Array.from(el));
  const view = tensor.data;
  return Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

describe('tensor JSON form', () => {
  for (const datatype of DATATYPES) {
    it(`${datatype}: tensorFromJson(tensorToJson(t)) is t, bit for bit, in the datatype's storage class`, () => {
      fc.assert(
        fc.property(tensorArb(datatype), (tensor) => {
          const json = JSON.parse(JSON.stringify(tensorToJson(tensor)));
          const back = tensorFromJson(json, 'inputs[0]');
          expect(back.datatype).toBe(datatype);
          expect(back.shape).toEqual(tensor.shape);
          expect(back.data.constructor).toBe(tensor.data.constructor);
          expect(bytesOf(back)).toEqual(bytesOf(tensor));
        }),
      );
    });
  }

  it('refuses names that are not V2 datatypes, inherited property names included', () => {
    for (const datatype of ['FP8', 'fp32', 'toString', '__proto__', 'constructor']) {
      expect(() => tensorFromJson({ name: 'x', datatype, shape: [1], data: [1] }, 'inputs[0]')).toThrow(
        'inputs[0].datatype: expected a V2 datatype',
      );
    }
  });

  it('reads numbers, booleans and decimal strings in the datatype storage class', () => {
    expect(tensorFromJson({ name: 'b', datatype: 'BOOL', shape: [2], data: [true, 0] }, 'x').data).toEqual(
      Uint8Array.of(1, 0),
    );
    expect(
      tensorFromJson({ name: 'u', datatype: 'UINT64', shape: [1], data: ['18446744073709551615'] }, 'x').data,
    ).toEqual(BigUint64Array.of(18446744073709551615n));
    expect(tensorFromJson({ name: 'h', datatype: 'FP16', shape: [1], data: [15360] }, 'x').data).toEqual(
      Uint16Array.of(0x3c00),
    );
  });
});
