import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeaders, parseParameters, splitKeyValue, typedParameter } from './key-values.js';
import { UsageError } from './usage-error.js';

describe('splitKeyValue', () => {
  it('splits at the first =, keeping the rest of the value', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/), fc.string(), (key, value) => {
        expect(splitKeyValue(`${key}=${value}`, '--header')).toEqual([key, value]);
      }),
    );
  });
  it('refuses an entry without = or without a key, naming the flag', () => {
    expect(() => splitKeyValue('novalue', '--header')).toThrow('--header: expected key=value, got "novalue"');
    expect(() => splitKeyValue('=v', '--parameter')).toThrow(/^--parameter: /);
  });
});

describe('typedParameter', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['42', 42n],
    ['-7', -7n],
    ['+3', 3n],
    ['9223372036854775807', 9223372036854775807n],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['tfjs', 'tfjs'],
    ['True', 'True'],
    ['', ''],
    ['12abc', '12abc'],
    ['"42"', '42'],
    ['"true"', 'true'],
  ] as const)('types %j as %s', (text, value) => {
    expect(typedParameter(text)).toEqual(value);
  });

  it('refuses an integer outside int64 and a double that overflows', () => {
    expect(() => typedParameter('9223372036854775808', 'n')).toThrow(
      '--parameter n: 9223372036854775808 is outside int64',
    );
    expect(() => typedParameter('1e999', 'n')).toThrow('--parameter n: 1e999 is too large for a double');
  });

  it('keeps every int64 exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
        expect(typedParameter(value.toString())).toBe(value);
      }),
    );
  });

  it('reads back every finite double that has a decimal point', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = String(value);
        fc.pre(/[.e]/.test(text));
        expect(typedParameter(text)).toBe(value);
      }),
    );
  });
});

describe('parseParameters and parseHeaders', () => {
  it('builds a record, refusing a key given twice', () => {
    expect(parseParameters(['runtime=tfjs', 'n=3'])).toEqual({ runtime: 'tfjs', n: 3n });
    expect(() => parseParameters(['a=1', 'a=2'])).toThrow('--parameter a: given twice');
  });

  it('lower-cases header keys and refuses what gRPC cannot carry as text', () => {
    expect(parseHeaders(['X-Iris-Runtime=tfjs', 'x-a=1'])).toEqual({ 'x-iris-runtime': 'tfjs', 'x-a': '1' });
    expect(() => parseHeaders(['x-a=1', 'X-A=2'])).toThrow('--header x-a: given twice');
    expect(() => parseHeaders(['bad key=v'])).toThrow('--header bad key: a key may hold only letters');
    expect(() => parseHeaders(['grpc-timeout=1'])).toThrow('"grpc-" keys are reserved');
    expect(() => parseHeaders(['x-bin=AA'])).toThrow('binary ("-bin") headers are not supported');
    expect(() => parseHeaders(['x=é'])).toThrow('--header x: the value must be printable ASCII');
  });

  it('refuses the key "__proto__", which a plain record drops without a word', () => {
    expect(() => parseParameters(['__proto__=tfjs'])).toThrow(UsageError);
    expect(() => parseParameters(['__proto__=tfjs'])).toThrow(/^--parameter __proto__: /);
    expect(() => parseHeaders(['__PROTO__=x'])).toThrow(UsageError);
    expect(() => parseHeaders(['__proto__=x'])).toThrow(/^--header __proto__: /);
  });
});
