import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWindowKey, encodeWindowKey } from './window-key.js';

describe('window keys', () => {
  it('decode what they encode, whatever the names hold (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.option(fc.tuple(fc.string(), fc.string())),
        (m, v, n, seg) => {
          const series = { modelName: m, modelVersion: v, node: n };
          const segment = seg === null ? undefined : { name: seg[0], value: seg[1] };
          expect(decodeWindowKey(encodeWindowKey(series, segment))).toEqual(
            segment === undefined ? { series } : { series, segment },
          );
        },
      ),
    );
  });

  it('refuses a string that is not one, with a sentence', () => {
    for (const bad of ['', 'x', '["a","b"]', '["a","b","c",1]', '["a","b","c","d"]']) {
      expect(() => decodeWindowKey(bad)).toThrow(
        /^seriesKey: expected a JSON array of 3 strings \(model, version, node\) or 5 \(with segment name and value\)$/,
      );
    }
  });
});
