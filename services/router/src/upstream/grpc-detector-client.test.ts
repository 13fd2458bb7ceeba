import { outlierV1 } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { verdictParameters } from '../engine/graph-executor.js';
import { outlierVerdict } from './grpc-detector-client.js';

const META = { name: 'iris-od', kind: 'IForest', detectorType: 'outlier', dataType: 'tabular' };

describe('outlierVerdict', () => {
  it('reduces a batch to any outlier, the highest score, the threshold and the version', () => {
    const response = outlierV1.PredictResponse.fromPartial({
      meta: { ...META, schemaVersion: 1, version: 3 },
      data: { isOutlier: [false, true, false], instanceScore: [0.41, 0.72, 0.5], threshold: 0.6 },
    });
    expect(outlierVerdict(response)).toEqual({ isOutlier: true, score: 0.72, threshold: 0.6, version: 3 });
  });

  it('leaves out the score when the service sent none and the version when it reported none', () => {
    const response = outlierV1.PredictResponse.fromPartial({
      meta: { ...META, schemaVersion: 1 },
      data: { isOutlier: [false], threshold: 0.6 },
    });
    expect(outlierVerdict(response)).toEqual({ isOutlier: false, threshold: 0.6 });
  });

  it('takes the highest of a batch too large to spread into Math.max', () => {
    const scores = Array.from({ length: 200_000 }, (_, i) => i / 200_000);
    const response = outlierV1.PredictResponse.fromPartial({
      meta: { ...META, version: 1 },
      data: { isOutlier: scores.map(() => false), instanceScore: scores, threshold: 2 },
    });
    expect(outlierVerdict(response).score).toBe(199_999 / 200_000);
  });
});

describe('verdictParameters', () => {
  it('names every part of an outlier verdict under sightline.<detector>', () => {
    expect(
      verdictParameters('iris-od', { isOutlier: true, score: 0.72, threshold: 0.6, version: 3 }),
    ).toEqual({
      'sightline.iris-od.is_outlier': true,
      'sightline.iris-od.score': 0.72,
      'sightline.iris-od.threshold': 0.6,
      'sightline.iris-od.version': 3n,
    });
  });
});
