import { explainerV1 } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { renderSections } from '../frame/output.js';
import {
  globalImportanceJson,
  globalImportanceSections,
  IMPORTANCE_BAR_WIDTH,
  importanceBar,
} from './explain-global-view.js';

const response = explainerV1.GlobalExplainResponse.fromPartial({
  eventsMatched: 40n,
  groups: [
    {
      modelName: 'iris',
      modelVersion: '1',
      rows: 40n,
      outputs: [
        {
          targetIndex: 0,
          features: [
            { index: 0, name: 'sepal_length', meanAbs: 0.02, mean: 0.01, std: 0.03 },
            { index: 2, name: 'petal_length', meanAbs: 0.4, mean: -0.1, std: 0.5 },
          ],
        },
      ],
    },
  ],
});

describe('global importance', () => {
  it('charts mean |attribution| per feature, largest first, per model version and output', () => {
    const text = renderSections(globalImportanceSections(response), false);
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('iris version 1, output 0 · 40 rows · mean |attribution|');
    expect(lines[1]).toMatch(/^petal_length +0\.4 +█{32} +mean -0\.1 ± 0\.5$/);
    expect(lines[2]).toMatch(/^sepal_length +0\.02 +█{2} +mean 0\.01 ± 0\.03$/);
  });

  it('bars at least one block for any importance above 0, none for 0', () => {
    expect(importanceBar(1e-9, 1)).toBe('█');
    expect(importanceBar(0, 1)).toBe('');
    expect(importanceBar(2, 2)).toHaveLength(IMPORTANCE_BAR_WIDTH);
  });

  it('keeps every number in the JSON document', () => {
    expect(globalImportanceJson(response).groups[0]!.outputs[0]!.features[1]).toEqual({
      index: 2,
      feature: 'petal_length',
      mean_abs: 0.4,
      mean: -0.1,
      std: 0.5,
    });
    expect(
      renderSections(globalImportanceSections(explainerV1.GlobalExplainResponse.fromPartial({})), false),
    ).toContain('no rows explained');
  });

  it('says why a version was not explained, in the chart and the JSON', () => {
    const skipped = explainerV1.GlobalExplainResponse.fromPartial({
      groups: [
        { modelName: 'iris', modelVersion: '3', unavailableReason: 'model "iris" version "3" not found' },
      ],
    });
    expect(renderSections(globalImportanceSections(skipped), false).trim()).toBe(
      'iris version 3 · not explained: model "iris" version "3" not found',
    );
    expect(globalImportanceJson(skipped).groups[0]).toMatchObject({
      model_version: '3',
      unavailable_reason: 'model "iris" version "3" not found',
    });
  });
});
