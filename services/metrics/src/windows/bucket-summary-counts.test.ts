/**
 * A saved bucket's counts must be integers >= 0: BucketSummary.fromJSON (and mergeSaved) refuse
 * a negative or fractional one naming the field, instead of restoring a bucket whose metrics are
 * wrong from then on.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { classPair, classRecord } from '../../test/window-records.js';
import { BucketSummary } from './bucket-summary.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests tamper with saved JSON of any shape.
type Saved = any;

function savedBucket(): Saved {
  const summary = BucketSummary.empty('classification', ['a', 'b', 'c'], { aucBins: 64 });
  const row = { predicted: 0, truth: 1, weights: [3, 1, 1], minute: 0 };
  summary.addPrediction(classRecord(row, 1));
  summary.addPair(classPair(row, 1));
  return JSON.parse(JSON.stringify(summary.toJSON()));
}

const CASES: Array<[string, (j: Saved) => void]> = [
  [
    'cbpe.predictedCount[0]',
    (j) => {
      j.cbpe.predictedCount[0] = -1;
    },
  ],
  [
    'cbpe.predictedCount[1]',
    (j) => {
      j.cbpe.predictedCount[1] = 0.5;
    },
  ],
  [
    'pairs.confusion[0]',
    (j) => {
      j.pairs.confusion[0] = -3;
    },
  ],
  [
    'pairs.calibration.count[0]',
    (j) => {
      j.pairs.calibration.count[0] = 1.5;
    },
  ],
  [
    'pairs.calibration.correct[0]',
    (j) => {
      j.pairs.calibration.correct[0] = -1;
    },
  ],
  [
    'pairs.cbpe.predictedCount[0]',
    (j) => {
      j.pairs.cbpe.predictedCount[0] = -2;
    },
  ],
  [
    'predictedClasses.counts[0][1]',
    (j) => {
      j.predictedClasses.counts[0][1] = -1;
    },
  ],
  [
    'predictedClasses.overflow',
    (j) => {
      j.predictedClasses.overflow = 0.25;
    },
  ],
  [
    'latencyMs.count',
    (j) => {
      j.latencyMs.count = -1;
    },
  ],
];

describe('BucketSummary saved counts', () => {
  it('restores an untouched saved bucket', () => {
    expect(BucketSummary.fromJSON(savedBucket()).toJSON()).toEqual(savedBucket());
  });

  it.each(CASES)('refuses a negative or fractional %s, naming it', (field, tamper) => {
    const saved = savedBucket();
    tamper(saved);
    expect(() => BucketSummary.fromJSON(saved)).toThrow(InvalidArgumentError);
    expect(() => BucketSummary.fromJSON(saved)).toThrow(`${field}: expected an integer >= 0`);
    const target = BucketSummary.fromJSON(savedBucket());
    expect(() => target.mergeSaved(saved)).toThrow(`${field}: expected an integer >= 0`);
  });
});
