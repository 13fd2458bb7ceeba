import { sampleEvent } from '@sightline/events/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATS_KERNELS } from '../kernels.js';
import { DriftKinds } from '../kinds/drift-kinds.js';
import { EventRowReader } from './event-row-reader.js';
import { toRowMajor } from './feature-table.js';
import { float32Decimal } from './float32-decimal.js';
import { tableFromCsv } from './table-from-csv.js';
import { tableFromTensors } from './table-from-tensors.js';

const f32 = (x: number) => Math.fround(x);

describe('float32Decimal', () => {
  it('rounds back to the same float32, for any float32', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(f32(float32Decimal(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back a decimal of up to 6 significant digits exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -999_999, max: 999_999 }),
        fc.integer({ min: -12, max: 12 }),
        (digits, exp) => {
          const decimal = Number(`${digits}e${exp}`);
          expect(float32Decimal(f32(decimal))).toBe(decimal);
        },
      ),
      { numRuns: 2000 },
    );
    expect(f32(5.1)).not.toBe(5.1);
    expect(float32Decimal(f32(5.1))).toBe(5.1);
    expect(float32Decimal(3)).toBe(3);
  });
});

describe('FP32 rows against a CSV reference (ties)', () => {
  // Iris-like values with one decimal: many ties, the case where FP32 and FP64 disagreed.
  const rows = (n: number, shift: number) =>
    Array.from({ length: n }, (_, i) =>
      [43 + ((i * 7 + shift) % 36), 20 + ((i * 3 + shift) % 24), 10 + ((i * 11 + shift) % 59)].map(
        (tenths) => tenths / 10,
      ),
    );
  const csv = (values: number[][]) => `a,b,c\n${values.map((r) => r.join(',')).join('\n')}\n`;
  const kinds = new DriftKinds(STATS_KERNELS);

  it.each(['ks', 'cvm', 'tabular'] as const)(
    '%s: Score and live reads of FP32 tensors give the CSV p-values',
    (kind) => {
      const reference = tableFromCsv(csv(rows(150, 0)));
      const state = kinds.get(kind).fit(reference, {});
      const batch = rows(60, 5);
      const fromCsv = kinds.get(kind).score(state, tableFromCsv(csv(batch), { schema: state.schema }));
      const tensor = {
        name: 'input',
        shape: [60, 3],
        datatype: 'FP32' as const,
        data: Float32Array.from(batch.flat()),
      };
      const fromFp32 = kinds.get(kind).score(state, tableFromTensors([tensor], { schema: state.schema }));
      expect(fromFp32.features.map((f) => f.pValue)).toEqual(fromCsv.features.map((f) => f.pValue));
      expect(fromFp32.features.map((f) => f.statistic)).toEqual(fromCsv.features.map((f) => f.statistic));

      // The live path reads an event's FP32 tensor into the same numbers as the CSV.
      const reader = new EventRowReader({ side: 'request', tensor: 'input' }, state.schema);
      const read = reader.read(sampleEvent(1, { inputs: [tensor] }));
      expect(read.ok && [...read.values]).toEqual([...toRowMajor(tableFromCsv(csv(batch)))]);
    },
  );
});
