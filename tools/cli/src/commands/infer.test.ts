import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flattenNested, parseKeyValues, typedParameter } from './infer.js';

describe('flattenNested', () => {
  it('recovers the shape and row-major elements of any rectangular nested array', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.double({ noNaN: true }),
        (shape, seed) => {
          const count = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: count }, (_, i) => seed + i);
          const build = (depth: number, offset: number): unknown => {
            if (depth === shape.length) return values[offset];
            const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
            return Array.from({ length: shape[depth]! }, (_, i) => build(depth + 1, offset + i * stride));
          };
          expect(flattenNested(build(0, 0))).toEqual({ shape, values });
        },
      ),
    );
  });

  it('refuses ragged rows and non-numbers with a sentence', () => {
    expect(() => flattenNested([[1, 2], [3]])).toThrow(/rows must all have 2 elements/);
    expect(() => flattenNested([['a']])).toThrow(/expected a number/);
  });
});

describe('--header and --parameter', () => {
  it('splits key=value at the first =, and refuses an entry without a key', () => {
    expect(parseKeyValues(['x-iris-runtime=tfjs', 'q=a=b', 'e='], '--header')).toEqual([
      ['x-iris-runtime', 'tfjs'],
      ['q', 'a=b'],
      ['e', ''],
    ]);
    expect(() => parseKeyValues(['novalue'], '--header')).toThrow(
      '--header: expected key=value, got "novalue"',
    );
    expect(() => parseKeyValues(['=v'], '--parameter')).toThrow(/--parameter/);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['42', 42n],
    ['-7', -7n],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['tfjs', 'tfjs'],
    ['True', 'True'],
    ['', ''],
    ['12abc', '12abc'],
  ] as const)('types "%s" as %s', (text, value) => {
    expect(typedParameter(text)).toEqual(value);
  });
});
