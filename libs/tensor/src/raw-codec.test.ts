import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSameTensor, fixedWidthData, tensorArb, thrownMessage } from '../test/arbitraries.js';
import { swapByteOrderInPlace } from './byte-order.js';
import { tensorFromRaw, tensorToRaw } from './raw-codec.js';
import { DATATYPES } from './types.js';

describe('raw codec round trip', () => {
  for (const datatype of DATATYPES) {
    it(`${datatype}: tensorFromRaw(tensorToRaw(t)) is t, bit for bit`, () => {
      fc.assert(
        fc.property(tensorArb(datatype, true), (tensor) => {
          const raw = tensorToRaw(tensor);
          expectSameTensor(tensorFromRaw(tensor.name, tensor.datatype, tensor.shape, raw), tensor);
        }),
      );
    });

    it(`${datatype}: decodes the same from an unaligned buffer (copy path)`, () => {
      fc.assert(
        fc.property(tensorArb(datatype, true), (tensor) => {
          const raw = tensorToRaw(tensor);
          const shifted = new Uint8Array(raw.byteLength + 1).subarray(1);
          shifted.set(raw);
          expectSameTensor(tensorFromRaw(tensor.name, tensor.datatype, tensor.shape, shifted), tensor);
        }),
      );
    });

    it(`${datatype}: decodes the same from a Buffer at any offset in a larger pool (as grpc-js hands raw contents)`, () => {
      fc.assert(
        fc.property(tensorArb(datatype, true), fc.integer({ min: 0, max: 15 }), (tensor, offset) => {
          const raw = tensorToRaw(tensor);
          // A pool with other bytes around the tensor's, like grpc-js's message buffers.
          const pool = Buffer.alloc(offset + raw.byteLength + 16, 0xa5);
          pool.set(raw, offset);
          const inPool = pool.subarray(offset, offset + raw.byteLength);
          expectSameTensor(tensorFromRaw(tensor.name, tensor.datatype, tensor.shape, inPool), tensor);
        }),
      );
    });
  }

  it('writes little-endian, row-major bytes', () => {
    const tensor = { name: 'x', datatype: 'INT32', shape: [2], data: Int32Array.of(1, -2) } as const;
    expect([...tensorToRaw(tensor)]).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
  });

  it('writes BYTES as 4-byte little-endian length prefixes, then the bytes', () => {
    const data = [Uint8Array.of(0x61, 0x62), new Uint8Array(0)];
    const raw = tensorToRaw({ name: 's', datatype: 'BYTES', shape: [2], data });
    expect([...raw]).toEqual([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0]);
  });
});

describe('raw codec zero copy', () => {
  it('views an aligned FP32 buffer in place', () => {
    const backing = new ArrayBuffer(64);
    const bytes = new Uint8Array(backing, 8, 16);
    const tensor = tensorFromRaw('input', 'FP32', [2, 2], bytes);
    expect(fixedWidthData(tensor).buffer).toBe(backing);
    expect(fixedWidthData(tensor).byteOffset).toBe(8);
  });

  it('copies an FP32 buffer whose offset is not a multiple of 4', () => {
    const backing = new ArrayBuffer(64);
    const tensor = tensorFromRaw('input', 'FP32', [4], new Uint8Array(backing, 2, 16));
    expect(fixedWidthData(tensor).buffer).not.toBe(backing);
  });

  it('encodes fixed-width data as a view on the tensor memory', () => {
    const data = Float64Array.of(1, 2, 3);
    expect(tensorToRaw({ name: 'y', datatype: 'FP64', shape: [3], data }).buffer).toBe(data.buffer);
  });

  it('returns BYTES elements as views on the incoming buffer', () => {
    const raw = Uint8Array.of(1, 0, 0, 0, 0x7a);
    const tensor = tensorFromRaw('s', 'BYTES', [1], raw);
    expect((tensor.data as Uint8Array[])[0]!.buffer).toBe(raw.buffer);
  });
});

describe('raw codec errors', () => {
  it('rejects a byte length that is not element count x width, naming tensor and counts', () => {
    const message = thrownMessage(
      () => tensorFromRaw('input', 'FP32', [2, 3], new Uint8Array(20), 'input'),
      InvalidArgumentError,
    );
    expect(message).toBe(
      'input "input": expected 24 bytes of raw contents (6 FP32 elements x 4 bytes), got 20',
    );
  });

  it('rejects a BYTES element that runs past the end', () => {
    const raw = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7);
    const message = thrownMessage(() => tensorFromRaw('x', 'BYTES', [4], raw, 'input'), InvalidArgumentError);
    expect(message).toBe('BYTES element 3 of input "x" declares 100 bytes but only 7 remain');
  });

  it('rejects a truncated BYTES length prefix', () => {
    const raw = Uint8Array.of(1, 0, 0, 0, 9, 0, 0);
    const message = thrownMessage(() => tensorFromRaw('x', 'BYTES', [2], raw, 'input'), InvalidArgumentError);
    expect(message).toContain(
      'BYTES element 1 of input "x" needs a 4-byte length prefix but only 2 bytes remain',
    );
  });

  it('rejects trailing bytes after the last BYTES element', () => {
    const raw = Uint8Array.of(1, 0, 0, 0, 9, 0xff, 0xff);
    const message = thrownMessage(() => tensorFromRaw('x', 'BYTES', [1], raw, 'input'), InvalidArgumentError);
    expect(message).toBe(
      'input "x": 2 bytes of raw contents remain after the 1 BYTES elements its shape declares',
    );
  });

  it('rejects BOOL bytes other than 0 and 1', () => {
    const message = thrownMessage(
      () => tensorFromRaw('mask', 'BOOL', [3], Uint8Array.of(0, 1, 2), 'input'),
      InvalidArgumentError,
    );
    expect(message).toBe('input "mask": BOOL element 2 is 2; expected 0 or 1');
  });

  it('rejects a shape with -1 or a negative dim', () => {
    expect(
      thrownMessage(() => tensorFromRaw('x', 'INT8', [-1], new Uint8Array(0)), InvalidArgumentError),
    ).toContain('tensor "x": dimension 0 of shape [-1] is -1');
  });

  it('rejects encoding a tensor whose data does not match its shape', () => {
    const tensor = { name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(2) } as const;
    expect(thrownMessage(() => tensorToRaw(tensor, 'output'), InvalidArgumentError)).toBe(
      'output "y": shape [3] needs 3 elements, data has 2',
    );
  });
});

describe('swapByteOrderInPlace (the big-endian host path)', () => {
  it('reverses each element and is its own inverse', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    swapByteOrderInPlace(bytes, 4);
    expect([...bytes]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapByteOrderInPlace(bytes, 4);
    expect([...bytes]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
