import { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownMessage } from '../test/arbitraries.js';
import { type ParameterValue, parametersToRecord, recordToParameters } from './parameters.js';

const valueArb: fc.Arbitrary<ParameterValue> = fc.oneof(
  fc.boolean(),
  fc.double(),
  fc.string({ unit: 'grapheme' }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
);

describe('parameters', () => {
  it('round-trips records through InferParameter and the protobuf wire', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), valueArb), (record) => {
        const request = inference.ModelInferRequest.fromPartial({ parameters: recordToParameters(record) });
        const wire = inference.ModelInferRequest.decode(inference.ModelInferRequest.encode(request).finish());
        expect(parametersToRecord(wire.parameters)).toEqual(record);
      }),
    );
  });

  it('maps each kind to its field', () => {
    expect(recordToParameters({ a: true, b: 1.5, c: 's', d: -3n, e: 2n ** 63n })).toEqual({
      a: { boolParam: true },
      b: { doubleParam: 1.5 },
      c: { stringParam: 's' },
      d: { int64Param: -3n },
      e: { uint64Param: 2n ** 63n },
    });
    expect(
      parametersToRecord({
        i: { int64Param: 7n },
        u: { uint64Param: 2n ** 64n - 1n },
        x: { doubleParam: 0.5 },
      }),
    ).toEqual({ i: 7n, u: 2n ** 64n - 1n, x: 0.5 });
  });

  it('keeps a "__proto__" key as a plain key', () => {
    const record = parametersToRecord(JSON.parse('{"__proto__": {"stringParam": "v"}}'));
    expect(Object.keys(record)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });

  it('rejects a parameter with no value, naming it and its context', () => {
    expect(thrownMessage(() => parametersToRecord({ k: {} }, 'input "x"'), InvalidArgumentError)).toBe(
      'input "x": parameter "k": has no value',
    );
  });

  it('rejects a parameter with two values', () => {
    expect(
      thrownMessage(
        () => parametersToRecord({ k: { boolParam: true, stringParam: 'a' } }),
        InvalidArgumentError,
      ),
    ).toBe('parameter "k": has 2 values (boolParam, stringParam); expected one');
  });

  it('rejects a bigint that fits neither int64 nor uint64, and unsupported types', () => {
    expect(thrownMessage(() => recordToParameters({ k: 2n ** 64n }), InvalidArgumentError)).toBe(
      'parameter "k": 18446744073709551616 fits neither int64 nor uint64',
    );
    expect(
      thrownMessage(() => recordToParameters({ k: null as unknown as string }), InvalidArgumentError),
    ).toContain('parameter "k": a object cannot be sent');
  });
});
