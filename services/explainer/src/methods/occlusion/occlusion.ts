/**
 * Occlusion (Zeiler & Fergus 2014; Captum's `Occlusion`): fill one region of the image at a
 * time and take the drop of each explained output as that region's attribution, every pixel
 * of the region receiving it; a pixel's value is the mean over the regions covering it
 * (sliding windows overlap; superpixels do not, so there a pixel takes its segment's drop).
 * The baseline (expected_value) is the output with every region filled, i.e. the whole image.
 *
 * Masked rows go to the evaluator in batches of at most `maxRowsPerCall` rows (one model call
 * each). The first batch carries the instance and the all-filled image; when the budget runs
 * out, the regions scored so far make the heatmap and the outcome is marked incomplete.
 */

import { heatmapOf } from '../image/heatmap.js';
import { type ImageGeometry, pixelElementIndices } from '../image/image-geometry.js';
import { BudgetExhaustedError, type MethodContext, type RowOutcome } from '../method.js';
import { type Region, superpixelRegions, windowRegions } from './occlusion-regions.js';
import {
  DEFAULT_OCCLUSION_BATCH_ROWS,
  MAX_OCCLUSION_BATCH_VALUES,
  type OcclusionOutput,
  type OcclusionParams,
  type OcclusionResult,
} from './occlusion-types.js';

/** The value each image element takes when filled, in image element order (row index − offset). */
export function fillValues(params: OcclusionParams, context: MethodContext): Float64Array {
  const { geometry } = params.image;
  const fill = new Float64Array(geometry.elementCount);
  const background = context.background;
  if (params.fillValue !== undefined) return fill.fill(params.fillValue);
  if (!background || background.count === 0) return fill;
  let totalWeight = 0;
  for (let r = 0; r < background.count; r++) {
    const weight = background.weights[r]!;
    totalWeight += weight;
    const base = r * background.featureCount + geometry.offset;
    for (let i = 0; i < fill.length; i++) fill[i]! += weight * background.rows[base + i]!;
  }
  for (let i = 0; i < fill.length; i++) fill[i]! /= totalWeight;
  return fill;
}

/** The regions occlusion fills for this instance. */
export function occlusionRegions(
  instance: Float64Array,
  params: OcclusionParams,
  context: MethodContext,
): Region[] {
  const { geometry } = params.image;
  return params.masking === 'windows'
    ? windowRegions(geometry, params.window, params.stride)
    : superpixelRegions(
        instance,
        geometry,
        params.segments,
        params.compactness,
        () => !!context.evaluator.exhausted(),
      );
}

/** Writes the fill into `row` over the region's pixels (every channel). */
function fillRegion(
  row: Float64Array,
  region: Region | 'all',
  geometry: ImageGeometry,
  fill: Float64Array,
): void {
  if (region === 'all') {
    row.set(fill, geometry.offset);
    return;
  }
  for (const pixel of region) {
    for (const index of pixelElementIndices(geometry, pixel)) row[index] = fill[index - geometry.offset]!;
  }
}

/** Rows per evaluate call: one model call each, and never more than MAX_OCCLUSION_BATCH_VALUES values. */
export function occlusionBatchRows(context: MethodContext): number {
  const perCall = context.evaluator.maxRowsPerCall ?? DEFAULT_OCCLUSION_BATCH_ROWS;
  const byMemory = Math.floor(MAX_OCCLUSION_BATCH_VALUES / Math.max(1, context.evaluator.featureCount));
  return Math.max(1, Math.min(perCall, byMemory));
}

/** Explains one row; see the module comment. */
export async function explainOcclusionRow(
  instance: Float64Array,
  params: OcclusionParams,
  context: MethodContext,
): Promise<RowOutcome<OcclusionResult>> {
  const { geometry } = params.image;
  const { evaluator } = context;
  const featureCount = evaluator.featureCount;
  const outputCount = evaluator.outputCount;
  const fill = fillValues(params, context);
  const regions = occlusionRegions(instance, params, context);
  // Work items: the instance, the all-filled image, then each region.
  const items: (Region | 'instance' | 'all')[] = ['instance', 'all', ...regions];
  const batchRows = Math.min(occlusionBatchRows(context), items.length);
  // One buffer for every batch: allocating tens of MiB per batch cost more than the copies.
  const buffer = new Float64Array(batchRows * featureCount);
  const pixelSums = Array.from({ length: outputCount }, () => new Float64Array(geometry.pixelCount));
  const pixelCounts = new Float64Array(geometry.pixelCount);
  const prediction = new Float64Array(outputCount).fill(Number.NaN);
  const expected = new Float64Array(outputCount).fill(Number.NaN);
  let done = 0;
  let complete = true;
  try {
    while (done < items.length) {
      if (evaluator.exhausted()) {
        complete = false;
        break;
      }
      const batch = items.slice(done, done + batchRows);
      const rows = buffer.subarray(0, batch.length * featureCount);
      batch.forEach((item, b) => {
        const row = rows.subarray(b * featureCount, (b + 1) * featureCount);
        row.set(instance);
        if (item !== 'instance') fillRegion(row, item, geometry, fill);
      });
      const scores = await evaluator.evaluate(rows);
      batch.forEach((item, b) => {
        const score = scores.subarray(b * outputCount, (b + 1) * outputCount);
        if (item === 'instance') prediction.set(score);
        else if (item === 'all') expected.set(score);
        else {
          for (const pixel of item) pixelCounts[pixel]! += 1;
          for (let o = 0; o < outputCount; o++) {
            const drop = prediction[o]! - score[o]!;
            const sums = pixelSums[o]!;
            for (const pixel of item) sums[pixel]! += drop;
          }
        }
      });
      done += batch.length;
      context.progress(done / items.length);
    }
  } catch (error) {
    if (!(error instanceof BudgetExhaustedError)) throw error;
    complete = false;
  }
  const outputs = pixelSums.map((sums, o): OcclusionOutput => {
    const attributions = new Float64Array(featureCount);
    for (let pixel = 0; pixel < geometry.pixelCount; pixel++) {
      const count = pixelCounts[pixel]!;
      const share = count > 0 ? sums[pixel]! / count / geometry.channels : 0;
      for (const index of pixelElementIndices(geometry, pixel)) attributions[index] = share;
    }
    return {
      prediction: prediction[o]!,
      expectedValue: expected[o]!,
      heatmap: heatmapOf(attributions, geometry, params.image.reduction),
      attributions,
    };
  });
  const regionsEvaluated = Math.max(0, done - 2);
  return {
    result: { outputs, regions: regions.length, regionsEvaluated },
    complete,
    fractionDone: done / items.length,
  };
}
