import { explainerV1 } from '@sightline/contracts';
import type { Explanation, OutputAttributions } from '@sightline/sdk';
import { describe, expect, it } from 'vitest';
import { renderSections } from '../frame/output.js';
import {
  attributionChart,
  BAR_WIDTH,
  explanationJson,
  explanationSections,
  signedBar,
} from './explain-view.js';

const output: OutputAttributions = {
  targetIndex: 2,
  prediction: 0.9,
  expectedValue: 0.3,
  additivityError: 1e-9,
  coalitions: 14,
  exact: true,
  features: [
    { index: 0, name: 'sepal_length', value: 0.05, featureValue: 6.3 },
    { index: 1, name: 'sepal_width', value: -0.1, featureValue: 2.8 },
    { index: 2, name: 'petal_length', value: 0.4, featureValue: 5.1 },
    { index: 3, name: 'petal_width', value: 0.25, featureValue: 1.8 },
  ],
};

function explanation(row: Partial<Explanation['rows'][number]>): Explanation {
  return {
    meta: {
      name: 'KernelShap',
      scope: ['local'],
      modelAccess: 'black-box',
      modelName: 'iris',
      modelVersion: '1',
      address: '127.0.0.1:8001',
      seed: 0,
      featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      backgroundRows: 100,
      message: explainerV1.ExplanationMeta.fromPartial({}),
    },
    rows: [{ row: 0, complete: true, fractionDone: 1, ...row }],
    usage: {
      modelCalls: 1,
      rowsEvaluated: 1400,
      elapsedMs: 12,
      complete: true,
      incompleteReason: '',
      cacheHit: false,
      inputHash: 'ab',
      backend: '',
    },
    eventIds: [],
  };
}

describe('signedBar', () => {
  it('draws left of the axis for negative values, right for positive, scaled to the largest |value|', () => {
    expect(signedBar(1, 1, 4)).toBe('    │████');
    expect(signedBar(-0.5, 1, 4)).toBe('  ██│    ');
    expect(signedBar(0, 1, 4)).toBe('    │    ');
    // Any value that is not 0 shows at least one block.
    expect(signedBar(1e-6, 1, 4)).toBe('    │█   ');
    for (const value of [-3, -1, 0, 0.5, 2, 3]) expect(signedBar(value, 3)).toHaveLength(2 * BAR_WIDTH + 1);
  });
});

describe('attributionChart', () => {
  it('sorts features by |value| with their values in the instance', () => {
    const lines = attributionChart(output);
    expect(lines.map((l) => l.split(' ')[0])).toEqual([
      'petal_length',
      'petal_width',
      'sepal_width',
      'sepal_length',
    ]);
    expect(lines[0]).toContain('petal_length = 5.1');
    expect(lines[0]).toContain('+0.4');
    expect(lines[0]).toContain(`│${'█'.repeat(BAR_WIDTH)}`);
    expect(lines[2]).toContain('-0.1');
    expect(lines[2]).toContain(`${'█'.repeat(6)}│`);
  });
});

describe('explanationSections', () => {
  it('heads each output with its prediction, expected value and additivity error', () => {
    const text = renderSections(explanationSections(explanation({ attributions: [output] })), false);
    expect(text).toContain('KernelShap of iris version 1 (seed 0, 100 background rows)');
    expect(text).toMatch(
      /^row 0, output 2 · prediction 0\.9 · expected value 0\.3 · additivity error 1(\.0+)?e-9 · exact \(14 coalitions\)$/m,
    );
    expect(text).toMatch(/model calls\s+1/);
  });

  it('prints an anchor as its rule with precision and coverage, and marks a partial row', () => {
    const anchor = explainerV1.Anchor.fromPartial({
      predicates: [
        {
          featureIndex: 2,
          featureName: 'petal_length',
          text: 'petal_length > 4.35',
          precision: 0.8,
          coverage: 0.3,
        },
        {
          featureIndex: 3,
          featureName: 'petal_width',
          text: 'petal_width > 1.80',
          precision: 0.97,
          coverage: 0.2,
        },
      ],
      precision: 0.97,
      coverage: 0.2,
      prediction: '2',
      thresholdMet: true,
      precisionLowerBound: 0.95,
      samples: 1200n,
    });
    const text = renderSections(
      explanationSections(explanation({ anchor, complete: false, fractionDone: 0.5 })),
      false,
    );
    expect(text).toContain('IF petal_length > 4.35 AND petal_width > 1.80 THEN PREDICT 2');
    expect(text).toMatch(/precision\s+0\.97/);
    expect(text).toMatch(/coverage\s+0\.2/);
    expect(text).toContain('no (50% done)');
    const json = explanationJson(explanation({ anchor }));
    expect(json.explanations[0]!.anchor).toMatchObject({
      rule: expect.stringContaining('IF'),
      precision: 0.97,
      coverage: 0.2,
      samples: 1200,
    });
  });

  it('prints counterfactuals as their changes, distance and sparsity', () => {
    const counterfactuals = explainerV1.Counterfactuals.fromPartial({
      originalPrediction: 0,
      found: [
        {
          values: [5.1, 3.5, 3, 0.2],
          changes: [{ index: 2, name: 'petal_length', original: 1.4, counterfactual: 3 }],
          prediction: 1,
          probability: 0.6,
          distance: 1.25,
          changedFeatures: 1,
        },
      ],
    });
    const text = renderSections(explanationSections(explanation({ counterfactuals })), false);
    expect(text).toContain('counterfactual 1: prediction 1 (p 0.6) · distance 1.25 · 1 feature changed');
    expect(text).toMatch(/petal_length\s+│?\s*1\.4\s+│?\s*3/);
    expect(
      explanationJson(explanation({ counterfactuals })).explanations[0]!.counterfactuals!.found[0],
    ).toMatchObject({
      distance: 1.25,
      sparsity: 1,
      changes: [{ feature: 'petal_length', original: 1.4, counterfactual: 3 }],
    });
  });
});

describe('explanationJson', () => {
  it('names attributions, expected_value, prediction and additivity_error per output', () => {
    const json = explanationJson(explanation({ attributions: [output] }));
    expect(json.explanations[0]!.outputs![0]).toMatchObject({
      target_index: 2,
      prediction: 0.9,
      expected_value: 0.3,
      additivity_error: 1e-9,
      attributions: [{ index: 0, feature: 'sepal_length', value: 0.05, feature_value: 6.3 }, {}, {}, {}],
    });
    expect(json.usage).toMatchObject({ model_calls: 1, rows_evaluated: 1400, complete: true });
  });
});
