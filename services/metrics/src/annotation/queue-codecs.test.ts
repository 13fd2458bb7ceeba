/**
 * The annotation codecs and the sampling hash, as properties: an item survives its document
 * round trip byte for byte, a page token gives back its sort key, and the row hash is a number
 * in [0, 1) that depends on the seed, the request id and the row only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, type ItemRecord } from './annotation-queue.js';
import { itemFromJson, itemToJson } from './queue-documents.js';
import { rowSampled, rowUniform } from './row-sampling.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

const itemArbitrary: fc.Arbitrary<ItemRecord> = fc.record({
  itemId: fc.string(),
  series: fc.record({ modelName: fc.string(), modelVersion: fc.string(), node: fc.string() }),
  requestId: fc.string(),
  row: fc.nat(4095),
  predictionMs: fc.nat(),
  task: fc.constantFrom('classification' as const, 'regression' as const),
  inputs: fc.array(
    fc.record({
      name: fc.string(),
      datatype: fc.constantFrom('FP32', 'INT64', 'BYTES'),
      shape: fc.array(fc.nat(8), { maxLength: 3 }),
      raw: fc.uint8Array({ maxLength: 64 }),
    }),
    { maxLength: 3 },
  ),
  inputsTruncated: fc.boolean(),
  prediction: fc.record(
    {
      label: fc.string(),
      probabilities: fc.array(finite),
      classes: fc.array(fc.string()),
      values: fc.array(finite),
    },
    { requiredKeys: ['classes'] },
  ),
  reason: fc.record({
    policy: fc.constantFrom('uniform' as const, 'least_confident' as const, 'outliers_first' as const),
    score: finite,
    explanation: fc.string(),
  }),
  createMs: fc.nat(),
  state: fc.constantFrom('open' as const, 'leased' as const, 'answered' as const, 'skipped' as const),
  annotator: fc.string(),
});

describe('item documents', () => {
  it('give back the item and its model name', () => {
    fc.assert(
      fc.property(itemArbitrary, fc.string(), (item, modelName) => {
        const back = itemFromJson(itemToJson(modelName, item));
        expect(back.modelName).toBe(modelName);
        // JSON has no -0: compare as JSON does.
        expect(JSON.parse(JSON.stringify({ ...back.item, inputs: [] }))).toEqual(
          JSON.parse(JSON.stringify({ ...item, inputs: [] })),
        );
        expect(back.item.inputs.map((input) => Array.from(input.raw))).toEqual(
          item.inputs.map((input) => Array.from(input.raw)),
        );
        expect(back.item.inputs.map(({ raw: _, ...rest }) => rest)).toEqual(
          item.inputs.map(({ raw: _, ...rest }) => rest),
        );
      }),
    );
  });
});

describe('page tokens', () => {
  it('give back the sort key they were made of', () => {
    fc.assert(
      fc.property(finite, fc.string(), (primary, id) => {
        const key = decodePageToken(encodePageToken([primary, id]));
        expect(key[1]).toBe(id);
        expect(key[0]).toBe(JSON.parse(JSON.stringify(primary)));
      }),
    );
  });

  it('refuse anything else as INVALID_ARGUMENT naming page_token', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^[A-Za-z0-9_-]*$/.test(text) || text.length < 4);
        expect(() => decodePageToken(text)).toThrow(/^page_token: /);
      }),
    );
  });
});

describe('row hash', () => {
  it('is in [0, 1), the same for the same inputs, and sampling is monotone in the rate', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.nat(4095),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (seed, id, row, rate) => {
          const u = rowUniform(seed, 'sample', id, row);
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          expect(rowUniform(seed, 'sample', id, row)).toBe(u);
          if (rowSampled(seed, id, row, rate))
            expect(rowSampled(seed, id, row, Math.min(1, rate * 2))).toBe(true);
        },
      ),
    );
  });
});
