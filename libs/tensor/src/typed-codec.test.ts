import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSameTensor, tensorArb, thrownMessage } from '../test/arbitraries.js';
import { isRawOnly } from './datatype.js';
import { emptyContents, tensorFromContents, tensorToContents } from './typed-codec.js';
import { DATATYPES } from './types.js';

function contents(fields: Partial<inference.InferTensorContents>): inference.InferTensorContents {
  return { ...emptyContents(), ...fields };
}

describe('typed codec round trip', () => {
  for (const datatype of DATATYPES.filter((d) => !isRawOnly(d))) {
    it(`${datatype}: tensorFromContents(tensorToContents(t)) is t, bit for bit`, () => {
      fc.assert(
        fc.property(tensorArb(datatype), (tensor) => {
          const encoded = tensorToContents(tensor);
          expectSameTensor(tensorFromContents(tensor.name, tensor.datatype, tensor.shape, encoded), tensor);
        }),
      );
    });
  }

  it('puts narrow integers in the shared 32-bit fields', () => {
    expect(
      tensorToContents({ name: 'a', datatype: 'INT8', shape: [1], data: Int8Array.of(-5) }).intContents,
    ).toEqual([-5]);
    expect(
      tensorToContents({ name: 'a', datatype: 'UINT16', shape: [1], data: Uint16Array.of(65535) })
        .uintContents,
    ).toEqual([65535]);
  });

  it('encodes BOOL as booleans', () => {
    const encoded = tensorToContents({ name: 'm', datatype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) });
    expect(encoded.boolContents).toEqual([true, false]);
  });
});

describe('typed codec errors', () => {
  for (const datatype of ['FP16', 'BF16'] as const) {
    it(`rejects ${datatype} typed contents: it must be sent raw`, () => {
      const message = thrownMessage(
        () => tensorFromContents('input', datatype, [1], contents({ fp32Contents: [1] }), 'input'),
        InvalidArgumentError,
      );
      expect(message).toBe(`input "input": ${datatype} must be sent as raw contents; it has no typed field`);
    });

    it(`refuses to encode ${datatype} as typed contents`, () => {
      const tensor = { name: 'h', datatype, shape: [1], data: Uint16Array.of(0x3c00) } as const;
      expect(thrownMessage(() => tensorToContents(tensor, 'output'), InvalidArgumentError)).toContain(
        'output "h"',
      );
    });
  }

  it('rejects a field other than the datatype uses', () => {
    const message = thrownMessage(
      () =>
        tensorFromContents('input', 'FP32', [1], contents({ fp32Contents: [1], intContents: [1] }), 'input'),
      InvalidArgumentError,
    );
    expect(message).toBe('input "input": datatype FP32 uses fp32_contents, but int_contents is set');
  });

  it('rejects an element count that does not match the shape', () => {
    const message = thrownMessage(
      () => tensorFromContents('input', 'FP64', [2, 3], contents({ fp64Contents: [1, 2, 3, 4, 5] }), 'input'),
      InvalidArgumentError,
    );
    expect(message).toBe('input "input": shape [2,3] needs 6 elements, fp64_contents has 5');
  });

  const outOfRange = [
    ['INT8', 'intContents', 128],
    ['INT8', 'intContents', -129],
    ['INT16', 'intContents', 32768],
    ['INT32', 'intContents', 2 ** 31],
    ['UINT8', 'uintContents', 256],
    ['UINT16', 'uintContents', 65536],
    ['UINT32', 'uintContents', 2 ** 32],
    ['UINT8', 'uintContents', -1],
    ['INT16', 'intContents', 1.5],
  ] as const;
  for (const [datatype, field, value] of outOfRange) {
    it(`rejects ${value} for ${datatype}`, () => {
      const message = thrownMessage(
        () => tensorFromContents('input', datatype, [2], contents({ [field]: [0, value] }), 'input'),
        InvalidArgumentError,
      );
      expect(message).toContain(`input "input": `);
      expect(message).toContain(`element 1 is ${value}, outside the ${datatype} range`);
    });
  }

  it('accepts the extremes of each narrow range', () => {
    const tensor = tensorFromContents('x', 'INT8', [2], contents({ intContents: [-128, 127] }));
    expect([...tensor.data]).toEqual([-128, 127]);
    const unsigned = tensorFromContents('x', 'UINT32', [2], contents({ uintContents: [0, 2 ** 32 - 1] }));
    expect([...unsigned.data]).toEqual([0, 2 ** 32 - 1]);
  });

  it('rejects a 64-bit value out of range (hand-built messages)', () => {
    const message = thrownMessage(
      () => tensorFromContents('input', 'UINT64', [1], contents({ uint64Contents: [-1n] }), 'input'),
      InvalidArgumentError,
    );
    expect(message).toBe('input "input": uint64_contents element 0 is -1, not a UINT64 value');
  });
});
