import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonInputs } from './json-input.js';

/** A rectangular nested array of `shape` holding `values` row-major. */
function nest(shape: readonly number[], values: readonly unknown[]): unknown {
  const build = (depth: number, offset: number): unknown => {
    if (depth === shape.length) return values[offset];
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[depth]! }, (_, i) => build(depth + 1, offset + i * stride));
  };
  return build(0, 0);
}

const shapes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
const leaves = fc.oneof(
  // JSON has no -0 (JSON.stringify(-0) is "0").
  fc.constant(fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v))),
  fc.constant(fc.boolean()),
  fc.constant(fc.string()),
) as fc.Arbitrary<fc.Arbitrary<unknown>>;

const cases = fc.tuple(shapes, leaves).chain(([shape, leaf]) => {
  const count = shape.reduce((a, b) => a * b, 1);
  return fc.array(leaf, { minLength: count, maxLength: count }).map((values) => ({ shape, values }));
});

describe('parseJsonInputs', () => {
  it('recovers the shape and row-major elements of any rectangular nested array', () => {
    fc.assert(
      fc.property(cases, ({ shape, values }) => {
        const [input] = parseJsonInputs(JSON.stringify(nest(shape, values)), '--input');
        expect(input!.shape).toEqual(shape);
        expect(input!.name).toBeUndefined();
        expect(input!.data.values).toEqual(values);
      }),
    );
  });

  it('reads the V2 form with flat or nested data, reshaping flat data to the given shape', () => {
    fc.assert(
      fc.property(cases, fc.boolean(), ({ shape, values }, flat) => {
        const document = {
          inputs: [{ name: 'x', shape, datatype: 'FP32', data: flat ? values : nest(shape, values) }],
        };
        const [input] = parseJsonInputs(JSON.stringify(document), 'f.json');
        expect(input).toEqual({ name: 'x', datatype: 'FP32', shape, data: input!.data });
        expect(input!.data.values).toEqual(values);
      }),
    );
  });

  it('refuses any ragged nesting with a sentence naming the row', () => {
    expect(() => parseJsonInputs('[[1,2],[3]]', '--input')).toThrow(
      '--input: data[1] has 1 elements, expected 2 as in the first row',
    );
    expect(() => parseJsonInputs('[[1,2],3]', '--input')).toThrow(
      '--input: data[1] is a value where an array of 2 was expected',
    );
    expect(() => parseJsonInputs('[[1],[[2]]]', '--input')).toThrow(
      '--input: data[1][0] is an array where a value was expected',
    );
    fc.assert(
      fc.property(cases, fc.nat(), ({ shape, values }, pick) => {
        // Ragged only when the changed row is not the first one, which sets the expected lengths.
        fc.pre(shape.length >= 2 && shape.slice(0, -1).some((d) => d >= 2));
        const nested = nest(shape, values) as unknown[];
        // Drop one element of the last row at the deepest level.
        let row: unknown[] = nested;
        while (Array.isArray(row[row.length - 1]) && Array.isArray((row[row.length - 1] as unknown[])[0]))
          row = row[row.length - 1] as unknown[];
        const last = row[row.length - 1];
        if (Array.isArray(last)) last.splice(pick % last.length, 1);
        else row.splice(pick % row.length, 1);
        expect(() => parseJsonInputs(JSON.stringify(nested), '--input')).toThrow(/^--input: data/);
      }),
    );
  });

  it('names the input and the rule for each V2 mistake', () => {
    const bad = (doc: unknown) => () => parseJsonInputs(JSON.stringify(doc), 'f.json');
    expect(bad({ inputs: [{ name: 'x', data: [1], shape: [2] }] })).toThrow(
      'f.json: inputs[0]: shape [2] needs 2 elements, data has 1',
    );
    expect(bad({ inputs: [{ data: [1] }] })).toThrow(
      'f.json: inputs[0].name: a non-empty string is required',
    );
    expect(bad({ inputs: [{ name: 'x', data: [1], datatype: 'FLOAT' }] })).toThrow(
      'f.json: inputs[0].datatype: "FLOAT" is not a V2 datatype',
    );
    expect(bad({ inputs: [{ name: 'x', data: [1], extra: 1 }] })).toThrow('unknown field "extra"');
    expect(
      bad({
        inputs: [
          { name: 'x', data: [1] },
          { name: 'x', data: [2] },
        ],
      }),
    ).toThrow('input "x" is given twice');
    expect(bad({ id: 'a', inputs: [] })).toThrow('f.json: unknown field "id"; only "inputs" is read');
    expect(bad({ inputs: [] })).toThrow('"inputs" must be a non-empty array');
    expect(bad([1, 'a'])).toThrow('element 1 is "a", but the first is a number');
    expect(() => parseJsonInputs('[1,', 'f.json')).toThrow(/^f\.json: not valid JSON/);
  });
});
