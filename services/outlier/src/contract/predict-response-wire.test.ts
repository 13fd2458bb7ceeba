import { outlierV1 } from '@sightline/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePredictResponse } from './predict-response-wire.js';

/** Any double, NaN, infinities and -0 included (-0 and 0 are both "unset" for threshold). */
const anyDouble = fc.double();
/** Strings of any code points, lone surrogates included (written as U+FFFD by both encoders). */
const anyString = fc.string({ unit: 'binary', maxLength: 20 });
const uint32 = fc.nat({ max: 0xffff_ffff });

const meta: fc.Arbitrary<outlierV1.DetectorMeta> = fc.record({
  name: anyString,
  kind: anyString,
  detectorType: anyString,
  online: fc.boolean(),
  dataType: anyString,
  schemaVersion: fc.oneof(fc.constant(0), uint32),
  version: fc.oneof(fc.constant(0), uint32),
});

const data: fc.Arbitrary<outlierV1.OutlierData> = fc.record({
  isOutlier: fc.array(fc.boolean(), { maxLength: 200 }),
  instanceScore: fc.array(anyDouble, { maxLength: 40 }),
  threshold: fc.oneof(fc.constant(0), fc.constant(-0), anyDouble),
  featureScore: fc.array(fc.record({ score: fc.array(anyDouble, { maxLength: 20 }) }), { maxLength: 20 }),
});

const response: fc.Arbitrary<outlierV1.PredictResponse> = fc.record(
  { meta, data },
  { requiredKeys: [] },
) as fc.Arbitrary<outlierV1.PredictResponse>;

const generated = (message: outlierV1.PredictResponse) => outlierV1.PredictResponse.encode(message).finish();

describe('PredictResponse written by its own encoder', () => {
  it('writes the bytes the generated encoder writes, for any message', () => {
    fc.assert(
      fc.property(response, (message) => {
        expect(new Uint8Array(encodePredictResponse(message))).toEqual(generated(message));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('writes what the service answers for one row, and the generated decoder reads it back', () => {
    const message: outlierV1.PredictResponse = {
      meta: {
        name: 'iris-od',
        kind: 'IForest',
        detectorType: 'outlier',
        online: false,
        dataType: 'tabular',
        schemaVersion: 1,
        version: 3,
      },
      data: { isOutlier: [true], instanceScore: [0.61], threshold: 0.55, featureScore: [] },
    };
    const bytes = encodePredictResponse(message);
    expect(new Uint8Array(bytes)).toEqual(generated(message));
    expect(outlierV1.PredictResponse.decode(bytes)).toEqual(message);
  });

  it('writes an empty message as no bytes, and empty parts as empty fields', () => {
    expect(encodePredictResponse({}).byteLength).toBe(0);
    const empty = {
      data: { isOutlier: [], instanceScore: [], threshold: 0, featureScore: [{ score: [] }] },
    };
    expect(new Uint8Array(encodePredictResponse(empty))).toEqual(generated(empty));
  });

  it('writes varint lengths past one byte (16 rows of 1024 feature scores)', () => {
    const rows = Array.from({ length: 16 }, (_, r) => ({
      score: Array.from({ length: 1024 }, (_, i) => r + i / 1024),
    }));
    const message = { data: { isOutlier: [], instanceScore: [], threshold: 1, featureScore: rows } };
    expect(new Uint8Array(encodePredictResponse(message))).toEqual(generated(message));
  });
});
