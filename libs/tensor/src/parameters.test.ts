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
  // Keys include names Object.prototype already has, and "__proto__", which plain-object
  // maps cannot hold: it must be refused by name at both ends, never dropped.
  const keyArb = fc.oneof(
    fc.string(),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
  );

  it('round-trips records through InferParameter and the protobuf wire, or refuses "__proto__" by name', () => {
    fc.assert(
      fc.property(fc.dictionary(keyArb, valueArb), (record) => {
        if (Object.hasOwn(record, '__proto__')) {
          expect(thrownMessage(() => recordToParameters(record), InvalidArgumentError)).toMatch(
            /^parameter "__proto__": this name is not accepted/,
          );
          return;
        }
        const request = inference.ModelInferRequest.fromPartial({ parameters: recordToParameters(record) });
        const wire = inference.ModelInferRequest.decode(inference.ModelInferRequest.encode(request).finish());
        expect(parametersToRecord(wire.parameters)).toEqual(record);
      }),
    );
  });

  it('refuses a "__proto__" parameter that arrives on the wire, which decoding would otherwise drop', () => {
    // Field 4 (parameters) holding one map entry, a nested message of key and value.
    const entry = inference.ModelInferRequest_ParametersEntry.encode({
      key: '__proto__',
      value: { stringParam: 'v' },
    }).finish();
    expect(entry.length).toBeLessThan(128); // so its length is a one-byte varint
    const decoded = inference.ModelInferRequest.decode(Uint8Array.of((4 << 3) | 2, entry.length, ...entry));
    expect(Object.keys(decoded.parameters)).toEqual([]); // what ts-proto's decode leaves
    expect(thrownMessage(() => parametersToRecord(decoded.parameters, 'request'), InvalidArgumentError)).toBe(
      'request: parameter "__proto__": this name is not accepted (the generated protobuf code keeps maps in plain objects, where it would be dropped); use another name',
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

  it('refuses an own "__proto__" key in either direction', () => {
    const parsed = JSON.parse('{"__proto__": {"stringParam": "v"}}');
    expect(() => parametersToRecord(parsed)).toThrow(InvalidArgumentError);
    expect(() => recordToParameters(JSON.parse('{"__proto__": "v"}'))).toThrow(InvalidArgumentError);
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
