/**
 * Fidelity on the image example (issue 13): Integrated Gradients on the committed shapes CNN
 * (examples/models/shapes/1, the files the model-server serves), on held-out images drawn by
 * the example's own generator, which knows each shape's exact pixels (its mask).
 */
import { fileURLToPath } from 'node:url';
import { generateShapeSet, SHAPE_CLASSES } from '@sightline/models/shapes';
import { seededRandom } from '@sightline/stats';
import { selectTfjsBackend } from '@sightline/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodContext } from '../method.js';
import { type IntegratedGradientsResult, integratedGradients } from './integrated-gradients.js';
import { INTEGRATED_GRADIENTS_DEFAULTS } from './params.js';
import { TfjsGradientModel } from './tfjs-gradient-model.js';

const SHAPES_MODEL = fileURLToPath(new URL('../../../../../examples/models/shapes/1', import.meta.url));
/** Held-out images: a seed used neither for training (1), the accuracy check (2) nor the committed samples (100). */
const IMAGE_SEED = 31;
/** Two images per class keep the test to a few seconds on TF.js's wasm (or cpu) backend. */
const IMAGES = 2 * SHAPE_CLASSES.length;
const MIN_MASS_ON_SHAPE = 0.7;

describe('Integrated Gradients on the shapes CNN', () => {
  let model: TfjsGradientModel;
  const images = generateShapeSet(IMAGES, IMAGE_SEED).images;
  const results: IntegratedGradientsResult[] = [];

  beforeAll(async () => {
    const backend = await selectTfjsBackend({
      device: 'cpu',
      gpuDetected: false,
      logger: { info() {}, warn() {} },
    });
    model = await TfjsGradientModel.load(backend, SHAPES_MODEL, { modelName: 'shapes' });
    const context: MethodContext = {
      evaluator: {
        featureCount: model.featureCount,
        outputCount: model.outputCount,
        evaluate: () => Promise.reject(new Error('a white-box method called the black box')),
        exhausted: () => undefined,
      },
      space: { featureCount: model.featureCount, featureNames: [], categorical: new Map() },
      background: undefined,
      random: seededRandom(0),
      progress: () => {},
      gradients: model,
    };
    for (const image of images) {
      const outcome = await integratedGradients.explainRow(
        Float64Array.from(image.pixels),
        // The default 50 Gauss-Legendre steps from a black image, explaining the predicted class.
        {
          ...INTEGRATED_GRADIENTS_DEFAULTS,
          baseline: { kind: 'zeros' },
          gradientSource: 'model',
          targets: [],
        },
        context,
      );
      expect(outcome.complete).toBe(true);
      results.push(outcome.result);
    }
  }, 120_000);
  afterAll(() => model?.dispose());

  it('explains a 32 × 32 × 1 image with four classes', () => {
    expect([model.featureCount, model.outputCount]).toEqual([1024, 4]);
  });

  it('holds completeness within 1e-2 relative on every image', () => {
    for (const result of results) {
      const output = result.outputs[0]!;
      const change = output.prediction - output.baselinePrediction;
      expect(Math.abs(change)).toBeGreaterThan(0.1);
      expect(Math.abs(output.additivityError)).toBeLessThanOrEqual(1e-2 * Math.abs(change));
    }
  });

  it(`puts at least ${100 * MIN_MASS_ON_SHAPE}% of the attribution mass (sum of |attribution|) on the shape's pixels`, () => {
    const fractions = results.map((result, index) => {
      const { attributions } = result.outputs[0]!;
      const mask = images[index]!.mask;
      let onShape = 0;
      let total = 0;
      for (let i = 0; i < attributions.length; i++) {
        const mass = Math.abs(attributions[i]!);
        total += mass;
        if (mask[i] === 1) onShape += mass;
      }
      return onShape / total;
    });
    for (const fraction of fractions) expect(fraction).toBeGreaterThanOrEqual(MIN_MASS_ON_SHAPE);
  });
});
