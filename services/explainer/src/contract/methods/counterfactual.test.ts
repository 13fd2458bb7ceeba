import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CounterfactualResult } from '../../methods/counterfactual/index.js';
import type { FeatureSpace } from '../../methods/method.js';
import {
  counterfactualParamsMessage,
  counterfactualResultMessage,
  type RowsToTensors,
  readCounterfactualParams,
} from './counterfactual.js';

const space: FeatureSpace = {
  featureCount: 4,
  featureNames: ['age', 'income', 'city', 'debt'],
  categorical: new Map([[2, ['north', 'south', 'east']]]),
};

const message = (fields: Partial<explainerV1.CounterfactualParams> = {}) =>
  explainerV1.CounterfactualParams.fromPartial(fields);

/** The parameters read from the message after a trip over the wire. */
const readWire = (fields: Partial<explainerV1.CounterfactualParams>, outputCount = 3) =>
  readCounterfactualParams(
    explainerV1.CounterfactualParams.decode(
      explainerV1.CounterfactualParams.encode(message(fields)).finish(),
    ),
    space,
    outputCount,
  );

function expectRule(read: () => unknown, field: string, rule: string) {
  let thrown: unknown;
  try {
    read();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  expect((thrown as Error).message).toMatch(
    new RegExp(`^counterfactual\\.${field.replace(/[[\].]/g, '\\$&')}: .*\\(rule "${rule}"\\)$`),
  );
}

describe('counterfactual params (contract)', () => {
  it('fills the defaults: other class, 0.5, L1 over MAD, no ranges or immutables, no bound, 1', () => {
    for (const params of [readCounterfactualParams(undefined, space, 3), readWire({})]) {
      expect(params).toEqual({
        goal: { kind: 'other-class' },
        targetProbability: 0.5,
        distance: 'l1-mad',
        featureRanges: new Map(),
        immutableFeatures: [],
        maxChangedFeatures: undefined,
        count: 1,
      });
    }
  });

  it('reads every setting and gives them back with defaults filled (round trip)', () => {
    const fields: Partial<explainerV1.CounterfactualParams> = {
      targetClass: 2,
      targetProbability: 0.8,
      distance: explainerV1.Distance.DISTANCE_L2_STD,
      featureRanges: [
        { index: 3, range: { min: 0 } },
        { index: 1, range: { min: 1000, max: 90000 } },
      ],
      immutableFeatures: [0, 2],
      maxChangedFeatures: 2,
      count: 4,
    };
    const params = readWire(fields);
    expect(params.goal).toEqual({ kind: 'target-class', targetClass: 2 });
    expect(params.featureRanges.get(3)).toEqual({ min: 0, max: Number.POSITIVE_INFINITY });
    const back = counterfactualParamsMessage(params);
    expect(back.featureRanges.map((r) => r.index)).toEqual([1, 3]);
    expect(back.featureRanges[1]!.range).toEqual({ min: 0, max: undefined });
    expect(readWire(back)).toEqual(params);
    const defaults = counterfactualParamsMessage(readWire({}));
    expect(defaults).toMatchObject({
      otherClass: true,
      targetProbability: 0.5,
      distance: explainerV1.Distance.DISTANCE_L1_MAD,
      count: 1,
    });
    const value = readWire({ targetValue: { max: 3.5 } }, 1);
    expect(value.goal).toEqual({ kind: 'target-value', range: { min: Number.NEGATIVE_INFINITY, max: 3.5 } });
    expect(readWire(counterfactualParamsMessage(value), 1)).toEqual(value);
  });

  it('reads back what it gives, over the wire, for any valid settings (property)', () => {
    const end = fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined });
    const settings = fc.record({
      goal: fc.oneof(
        fc.constant<Partial<explainerV1.CounterfactualParams>>({ otherClass: true }),
        fc.integer({ min: 0, max: 2 }).map((targetClass) => ({ targetClass })),
      ),
      targetProbability: fc.option(fc.double({ min: 1e-9, max: 1, noNaN: true }), { nil: undefined }),
      distance: fc.constantFrom(0, 1, 2, 3),
      ranges: fc.uniqueArray(fc.tuple(fc.constantFrom(0, 1, 3), end, end), {
        selector: ([i]) => i,
        maxLength: 3,
      }),
      immutableFeatures: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      maxChangedFeatures: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      count: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(settings, (given) => {
        const featureRanges = given.ranges
          .filter(([, a, b]) => a !== undefined || b !== undefined)
          .map(([index, a, b]) => {
            const [min, max] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
            return { index, range: { min, max } };
          });
        const params = readWire({
          ...given.goal,
          targetProbability: given.targetProbability,
          distance: given.distance,
          featureRanges,
          immutableFeatures: given.immutableFeatures,
          maxChangedFeatures: given.maxChangedFeatures,
          count: given.count,
        });
        expect(readWire(counterfactualParamsMessage(params))).toEqual(params);
        expect(params.featureRanges.size).toBe(featureRanges.length);
      }),
    );
  });

  it('names the field and the rule of every bad setting', () => {
    expectRule(
      () => readCounterfactualParams(message({ otherClass: true, targetClass: 1 }), space, 3),
      'other_class and target_class',
      'counterfactual.goal',
    );
    expectRule(() => readWire({ targetClass: 3 }), 'target_class', 'counterfactual.goal');
    expectRule(() => readWire({ targetClass: 1 }, 1), 'target_class', 'counterfactual.goal');
    expectRule(() => readWire({}, 1), 'other_class', 'counterfactual.goal');
    expectRule(() => readWire({ targetValue: { min: 1 } }, 3), 'target_value', 'counterfactual.goal');
    expectRule(() => readWire({ targetValue: {} }, 1), 'target_value', 'value_range');
    expectRule(() => readWire({ targetValue: { min: 2, max: 1 } }, 1), 'target_value', 'value_range');
    expectRule(() => readWire({ targetValue: { min: Number.NaN } }, 1), 'target_value.min', 'value_range');
    expectRule(
      () => readWire({ targetProbability: 0 }),
      'target_probability',
      'counterfactual.target_probability',
    );
    expectRule(
      () => readWire({ targetProbability: 1.5 }),
      'target_probability',
      'counterfactual.target_probability',
    );
    expect(readWire({ targetProbability: 1 }).targetProbability).toBe(1);
    expectRule(
      () => readWire({ distance: 9 as explainerV1.Distance }),
      'distance',
      'counterfactual.distance',
    );
    expectRule(
      () => readWire({ featureRanges: [{ index: 4, range: { min: 0 } }] }),
      'feature_ranges[0].index',
      'counterfactual.feature_ranges',
    );
    expectRule(
      () =>
        readWire({
          featureRanges: [
            { index: 1, range: { min: 0 } },
            { index: 1, range: { max: 2 } },
          ],
        }),
      'feature_ranges[1].index',
      'counterfactual.feature_ranges',
    );
    expectRule(
      () => readWire({ featureRanges: [{ index: 1, range: { min: 5, max: 4 } }] }),
      'feature_ranges[0].range',
      'counterfactual.feature_ranges',
    );
    expectRule(
      () => readWire({ featureRanges: [{ index: 1 }] }),
      'feature_ranges[0].range',
      'counterfactual.feature_ranges',
    );
    expectRule(
      () => readWire({ featureRanges: [{ index: 2, range: { min: 3 } }] }),
      'feature_ranges[0].range',
      'counterfactual.feature_ranges',
    );
    expectRule(
      () => readWire({ immutableFeatures: [7] }),
      'immutable_features[0]',
      'counterfactual.immutable_features',
    );
    expectRule(
      () => readWire({ immutableFeatures: [0, 1, 2, 3] }),
      'immutable_features',
      'counterfactual.immutable_features',
    );
    expectRule(
      () => readWire({ maxChangedFeatures: 0 }),
      'max_changed_features',
      'counterfactual.max_changed_features',
    );
    expectRule(() => readWire({ count: 0 }), 'count', 'counterfactual.count');
    expectRule(() => readWire({ count: 11 }), 'count', 'counterfactual.count');
    expect(readWire({ count: 10 }).count).toBe(10);
  });
});

describe('counterfactual result (contract)', () => {
  it('maps each counterfactual with feature names and the tensors the service builds', () => {
    const calls: [number[], number][] = [];
    const toTensors: RowsToTensors = (rows, count) => {
      calls.push([Array.from(rows), count]);
      return [
        {
          name: 'input',
          datatype: 'FP64',
          shape: [1n, 4n],
          parameters: {},
          contents: undefined,
          rawContents: Buffer.alloc(0),
        },
      ];
    };
    const result: CounterfactualResult = {
      originalPrediction: 0,
      originalProbability: 0.7,
      found: [
        {
          values: Float64Array.from([30, 52000, 1, 0]),
          changes: [
            { index: 1, original: 40000, counterfactual: 52000 },
            { index: 2, original: 0, counterfactual: 1 },
          ],
          prediction: 1,
          probability: 0.55,
          distance: 1.25,
          changedFeatures: 2,
        },
      ],
    };
    const mapped = counterfactualResultMessage(result, space, toTensors);
    expect(mapped.counterfactuals).toEqual({
      originalPrediction: 0,
      originalProbability: 0.7,
      found: [
        {
          values: [30, 52000, 1, 0],
          changes: [
            { index: 1, name: 'income', original: 40000, counterfactual: 52000 },
            { index: 2, name: 'city', original: 0, counterfactual: 1 },
          ],
          prediction: 1,
          probability: 0.55,
          distance: 1.25,
          changedFeatures: 2,
          tensors: [expect.objectContaining({ name: 'input', shape: [1n, 4n] })],
        },
      ],
    });
    expect(calls).toEqual([[[30, 52000, 1, 0], 1]]);
    // It encodes as the InstanceExplanation's oneof.
    const wire = explainerV1.InstanceExplanation.decode(
      explainerV1.InstanceExplanation.encode(
        explainerV1.InstanceExplanation.fromPartial({ row: 0, complete: true, fractionDone: 1, ...mapped }),
      ).finish(),
    );
    expect(wire.counterfactuals?.found[0]?.changedFeatures).toBe(2);
    expect(wire.attributions).toBeUndefined();
  });
});
