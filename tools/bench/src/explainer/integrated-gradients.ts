/**
 * The explainer suite's Integrated Gradients part (issue 13): IG with 50 Gauss-Legendre steps
 * on the shapes CNN (examples/models/shapes, loaded by the explainer's TfjsGradientModel from
 * the files the model-server serves), time per image, next to a plain forward pass of the same
 * batch of path points (50 rows) on the same backend in the same run: the ratio says what the
 * gradients, the path building and the accumulation cost over the model itself; a gradient call
 * on the same rows alone says how much of that is the backend's gradient. The backend is
 * the one the explainer would pick (tfjs-node-gpu on a GPU node with the package installed,
 * tfjs-node, wasm, cpu), reported beside the figures.
 */
import { join } from 'node:path';
import {
  INTEGRATED_GRADIENTS_DEFAULTS,
  integratedGradients,
  type MethodContext,
  TfjsGradientModel,
} from '@sightline/explainer';
import { generateShapeSet } from '@sightline/models/shapes';
import { seededRandom } from '@sightline/stats';
import { detectGpu, selectTfjsBackend } from '@sightline/tfjs';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';

/** The part's shape and target. */
export const IG_BENCH = {
  steps: 50,
  /** Held-out images explained (seeded), each timed once per repetition. */
  images: 8,
  imageSeed: 5,
  repetitions: 5,
  warmupRepetitions: 1,
  /**
   * IG time per image over one gradient call of its 50 path points (the model's own work): at
   * most this, i.e. the method's path building, accumulation and f(x)/f(baseline) pass add at
   * most half again. (Over a plain forward pass the ratio is reported, not targeted: how much a
   * gradient costs over a forward pass is the backend's, e.g. wasm's convolution input gradient.)
   */
  targetOverheadRatioMax: 1.5,
} as const;

/** The figures of one run. */
export interface IgBenchResult {
  readonly backend: string;
  readonly steps: number;
  readonly images: number;
  /** Median over repetitions of the mean time per image, ms. */
  readonly msPerImage: number;
  /** Median over repetitions of the mean time of one forward pass of 50 path rows, ms. */
  readonly forwardMsPerBatch: number;
  /** msPerImage / forwardMsPerBatch. */
  readonly ratio: number;
  /** Median over repetitions of the mean time of one gradient call on the same 50 rows, ms. */
  readonly gradientMsPerBatch: number;
  /** msPerImage / gradientMsPerBatch: what the method adds over the model's gradient. */
  readonly overheadRatio: number;
  /** The largest |completeness error| / |f(x) − f(baseline)| seen (a check that the work was done). */
  readonly worstRelativeCompletenessError: number;
}

/** Runs the part on `modelsDir/shapes/1`. */
export async function runIntegratedGradientsBench(modelsDir: string): Promise<IgBenchResult> {
  const backend = await selectTfjsBackend({
    device: 'auto',
    gpuDetected: detectGpu(),
    logger: { info: () => {}, warn: () => {} },
  });
  const model = await TfjsGradientModel.load(backend, join(modelsDir, 'shapes', '1'), {
    modelName: 'shapes',
  });
  try {
    const images = generateShapeSet(IG_BENCH.images, IG_BENCH.imageSeed).images.map((image) =>
      Float64Array.from(image.pixels),
    );
    const context: MethodContext = {
      evaluator: {
        featureCount: model.featureCount,
        outputCount: model.outputCount,
        evaluate: () => Promise.reject(new Error('IG called the black box')),
        exhausted: () => undefined,
      },
      space: { featureCount: model.featureCount, featureNames: [], categorical: new Map() },
      background: undefined,
      random: seededRandom(0),
      progress: () => {},
      gradients: model,
    };
    const params = {
      ...INTEGRATED_GRADIENTS_DEFAULTS,
      nSteps: IG_BENCH.steps,
      baseline: { kind: 'zeros' as const },
      gradientSource: 'model' as const,
      targets: [],
    };
    // The forward baseline: the same 50 path points (baseline 0 to the image) in one batch.
    const pathOf = (image: Float64Array) => {
      const rows = new Float64Array(IG_BENCH.steps * image.length);
      for (let k = 0; k < IG_BENCH.steps; k++) {
        const alpha = (k + 0.5) / IG_BENCH.steps;
        for (let i = 0; i < image.length; i++) rows[k * image.length + i] = alpha * image[i]!;
      }
      return rows;
    };
    const paths = images.map(pathOf);
    const igMeans: number[] = [];
    const forwardMeans: number[] = [];
    const gradientMeans: number[] = [];
    let worst = 0;
    for (let repetition = 0; repetition < IG_BENCH.warmupRepetitions + IG_BENCH.repetitions; repetition++) {
      let started = performance.now();
      for (const image of images) {
        const outcome = await integratedGradients.explainRow(image, params, context);
        const output = outcome.result.outputs[0]!;
        const change = Math.abs(output.prediction - output.baselinePrediction);
        if (change > 0) worst = Math.max(worst, Math.abs(output.additivityError) / change);
      }
      const igMean = (performance.now() - started) / images.length;
      started = performance.now();
      for (const path of paths) await model.predict(path);
      const forwardMean = (performance.now() - started) / paths.length;
      started = performance.now();
      for (const path of paths) await model.gradients(path, 0);
      const gradientMean = (performance.now() - started) / paths.length;
      if (repetition >= IG_BENCH.warmupRepetitions) {
        igMeans.push(igMean);
        forwardMeans.push(forwardMean);
        gradientMeans.push(gradientMean);
      }
    }
    const msPerImage = median(igMeans);
    const forwardMsPerBatch = median(forwardMeans);
    const gradientMsPerBatch = median(gradientMeans);
    return {
      backend: model.backend,
      steps: IG_BENCH.steps,
      images: images.length,
      msPerImage,
      forwardMsPerBatch,
      ratio: msPerImage / forwardMsPerBatch,
      gradientMsPerBatch,
      overheadRatio: msPerImage / gradientMsPerBatch,
      worstRelativeCompletenessError: worst,
    };
  } finally {
    model.dispose();
  }
}

/** The part's lines for the report. */
export function formatIntegratedGradientsBench(result: IgBenchResult): string {
  return [
    `Integrated Gradients on the shapes CNN (${result.backend}), ${result.steps} Gauss-Legendre steps, ${result.images} images:`,
    `  ${result.msPerImage.toFixed(1)} ms per image; forward pass of the same ${result.steps} path rows ${result.forwardMsPerBatch.toFixed(1)} ms (ratio ${result.ratio.toFixed(2)}x); one gradient call on them ${result.gradientMsPerBatch.toFixed(1)} ms (ratio ${result.overheadRatio.toFixed(2)}x)`,
    `  worst completeness error ${(100 * result.worstRelativeCompletenessError).toFixed(2)}% of f(x) - f(baseline)`,
  ].join('\n');
}

/** The part's target: IG per image within half again of the model's gradient on its path. */
export function integratedGradientsChecks(result: IgBenchResult): RatioCheck[] {
  return [
    check(
      'explainer IG per image / one gradient call on its 50 path rows',
      result.overheadRatio,
      'x',
      '<=',
      IG_BENCH.targetOverheadRatioMax,
    ),
  ];
}
