import type { commonV1, explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import type { AnchorResult } from '../../methods/anchors/index.js';
import type { FeatureSpace } from '../../methods/method.js';
import { anchorsParamsMessage, anchorsResultMessage, readAnchorsParams } from './anchors.js';

const space: FeatureSpace = { featureCount: 2, featureNames: ['a', 'b'], categorical: new Map() };

const message = (fields: Partial<explainerV1.AnchorsParams>): explainerV1.AnchorsParams => ({
  stopOnFirst: false,
  discPerc: [],
  ...fields,
});

describe('readAnchorsParams', () => {
  it("fills Alibi's defaults when nothing is set", () => {
    const params = readAnchorsParams(undefined, space);
    expect(params).toEqual({
      threshold: 0.95,
      delta: 0.1,
      tau: 0.15,
      batchSize: 100,
      coverageSamples: 10_000,
      beamSize: 1,
      stopOnFirst: false,
      maxAnchorSize: undefined,
      minSamplesStart: 100,
      discPerc: [25, 50, 75],
      examples: 10,
    });
    expect(readAnchorsParams(message({}), space)).toEqual(params);
  });

  it('keeps what is set, zero examples included', () => {
    const params = readAnchorsParams(
      message({
        threshold: 1,
        examples: 0,
        maxAnchorSize: 2,
        discPerc: [10, 90],
        beamSize: 100,
        stopOnFirst: true,
      }),
      space,
    );
    expect(params).toMatchObject({
      threshold: 1,
      examples: 0,
      maxAnchorSize: 2,
      discPerc: [10, 90],
      beamSize: 100,
      stopOnFirst: true,
    });
  });

  it.each([
    [{ threshold: 0 }, 'anchors.threshold: must be in (0, 1], got 0'],
    [{ threshold: Number.NaN }, 'anchors.threshold: must be in (0, 1], got NaN'],
    [{ delta: 1 }, 'anchors.delta: must be in (0, 1), got 1'],
    [{ tau: 0 }, 'anchors.tau: must be in (0, 1), got 0'],
    [{ batchSize: 0 }, 'anchors.batch_size: must be an integer in 1-10,000, got 0'],
    [{ coverageSamples: 100_001 }, 'anchors.coverage_samples: must be an integer in 1-100,000, got 100001'],
    [{ beamSize: 101 }, 'anchors.beam_size: must be an integer in 1-100, got 101'],
    [{ minSamplesStart: 0 }, 'anchors.min_samples_start: must be an integer in 1-10,000, got 0'],
    [{ examples: 101 }, 'anchors.examples: must be an integer in 0-100, got 101'],
    [{ maxAnchorSize: 0 }, 'anchors.max_anchor_size: must be at least 1 when set, got 0'],
    [
      { discPerc: [25, 100] },
      'anchors.disc_perc: must be each in (0, 100) (rule "anchors.disc_perc"), got 100 at 1',
    ],
    [
      { discPerc: [50, 50] },
      'anchors.disc_perc: must be strictly ascending (rule "anchors.disc_perc"), got 50 then 50 at 1',
    ],
  ] as [Partial<explainerV1.AnchorsParams>, string][])('rejects %o', (fields, sentence) => {
    const read = () => readAnchorsParams(message(fields), space);
    expect(read).toThrow(InvalidArgumentError);
    expect(read).toThrow(sentence);
  });

  it('writes back every default for ExplanationMeta.params, reading back the same', () => {
    const params = readAnchorsParams(message({ tau: 0.2 }), space);
    const written = anchorsParamsMessage(params);
    expect(written).toMatchObject({ threshold: 0.95, tau: 0.2, discPerc: [25, 50, 75], examples: 10 });
    expect(readAnchorsParams(written, space)).toEqual(params);
  });
});

describe('anchorsResultMessage', () => {
  const result: AnchorResult = {
    predicates: [
      {
        featureIndex: 1,
        featureName: 'b',
        text: 'b <= 0.80',
        allowed: { above: -Infinity, atMost: 0.8 },
        precision: 0.9,
        coverage: 0.5,
      },
      {
        featureIndex: 0,
        featureName: 'a',
        text: 'a > 1.00',
        allowed: { above: 1, atMost: Infinity },
        precision: 0.97,
        coverage: 0.2,
      },
    ],
    precision: 0.97,
    coverage: 0.2,
    precisionLowerBound: 0.93,
    prediction: 2,
    thresholdMet: true,
    samples: 1234,
    coveredTrue: Float64Array.of(1, 2, 3, 4),
    coveredTrueCount: 2,
    coveredFalse: new Float64Array(0),
    coveredFalseCount: 0,
  };
  const toTensors = (rows: Float64Array, count: number): commonV1.Tensor[] => [
    {
      name: 'input',
      datatype: 'FP64',
      shape: [BigInt(count), 2n],
      parameters: {},
      contents: undefined,
      rawContents: Buffer.from(rows.buffer.slice(0)),
    },
  ];

  it('maps the anchor, its predicates and its examples as tensors', () => {
    const { anchor } = anchorsResultMessage(result, space, toTensors);
    expect(anchor).toMatchObject({
      precision: 0.97,
      coverage: 0.2,
      prediction: '2',
      thresholdMet: true,
      precisionLowerBound: 0.93,
      samples: 1234n,
      coveredFalse: [],
    });
    expect(anchor!.predicates).toEqual([
      { featureIndex: 1, featureName: 'b', text: 'b <= 0.80', precision: 0.9, coverage: 0.5 },
      { featureIndex: 0, featureName: 'a', text: 'a > 1.00', precision: 0.97, coverage: 0.2 },
    ]);
    expect(anchor!.coveredTrue[0]!.shape).toEqual([2n, 2n]);
  });

  it('writes an unknown prediction as ""', () => {
    expect(
      anchorsResultMessage({ ...result, prediction: undefined }, space, toTensors).anchor!.prediction,
    ).toBe('');
  });
});
