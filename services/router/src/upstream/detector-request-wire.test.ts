import { driftV1, outlierV1 } from '@sightline/contracts';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoutedTensor } from '../engine/routed-tensor.js';
import {
  encodeDriftPredict,
  encodeOutlierPredict,
  encodeOutlierPredictStacked,
} from './detector-request-wire.js';

const fp32 = (name: string, values: number[], shape = [1, values.length]) =>
  createTensor(name, 'FP32', shape, Float32Array.from(values));

/** The same tensors raw (as a raw request brings them) and decoded (as a model's answer). */
function bothForms(values: number[], rows: number) {
  const tensor = fp32('input', values, [rows, values.length / rows]);
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return {
    tensor,
    raw: RoutedTensor.fromRaw('input', 'FP32', tensor.shape, raw),
    decoded: RoutedTensor.fromTensor(tensor),
  };
}

describe('detector Predict requests written from routed tensors', () => {
  it('writes the bytes the generated encoders write, raw or decoded, any shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.string({ maxLength: 12 }),
        fc.string({ maxLength: 12 }),
        (rows, columns, detector, requestId) => {
          const values = Array.from({ length: rows * columns }, (_, i) => i * 0.5 - 1);
          const { tensor, raw, decoded } = bothForms(values, rows);
          const data = encodeTensorMessages([tensor], 'raw');
          const outlier = outlierV1.PredictRequest.encode({
            name: detector,
            data,
            returnInstanceScore: true,
            returnFeatureScore: false,
            requestId,
          }).finish();
          const drift = driftV1.PredictRequest.encode({
            name: detector,
            data,
            driftType: 0,
            returnPVal: true,
            returnDistance: false,
          }).finish();
          for (const routed of [raw, decoded]) {
            expect(new Uint8Array(encodeOutlierPredict(detector, [routed], requestId))).toEqual(outlier);
            expect(new Uint8Array(encodeDriftPredict(detector, [routed]))).toEqual(drift);
          }
        },
      ),
    );
  });

  it('writes stacked calls as the generated encoder writes one request holding all their rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.string({ maxLength: 12 }),
        (rowsPerCall, columns, detector) => {
          const calls = rowsPerCall.map((rows, c) =>
            Float32Array.from({ length: rows * columns }, (_, i) => c * 100 + i * 0.5),
          );
          const total = rowsPerCall.reduce((a, b) => a + b, 0);
          const all = Float32Array.from(calls.flatMap((values) => Array.from(values)));
          const expected = outlierV1.PredictRequest.encode({
            name: detector,
            data: encodeTensorMessages([fp32('input', Array.from(all), [total, columns])], 'raw'),
            returnInstanceScore: true,
            returnFeatureScore: false,
            requestId: '',
          }).finish();
          const stacked = encodeOutlierPredictStacked(detector, [
            {
              name: 'input',
              datatype: 'FP32',
              shape: [total, columns],
              chunks: calls.map((values) => new Uint8Array(values.buffer)),
            },
          ]);
          expect(new Uint8Array(stacked)).toEqual(expected);
        },
      ),
    );
  });

  it('sends a raw tensor without decoding it, and refuses one of the wrong length naming it', () => {
    const { raw } = bothForms([1, 2, 3, 4], 1);
    encodeOutlierPredict('od', [raw], 'r1');
    expect(raw.isDecoded).toBe(false);
    const short = RoutedTensor.fromRaw('x', 'FP32', [1, 4], new Uint8Array(12));
    expect(() => encodeOutlierPredict('od', [short], 'r1')).toThrow(
      /tensor "x": expected 16 bytes of raw contents \(4 FP32 elements x 4 bytes\), got 12/,
    );
  });

  it('refuses two tensors of the same name, as the generated path did', () => {
    const { raw, decoded } = bothForms([1, 2], 1);
    expect(() => encodeDriftPredict('dd', [raw, decoded])).toThrow(/tensor "input": appears more than once/);
  });
});
