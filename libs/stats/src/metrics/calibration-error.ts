/**
 * Expected calibration error over equal-width confidence bins (Guo et al. 2017, "On
 * calibration of modern neural networks"), top-label form.
 */

/** Equal-width confidence bins by default: 10, as Guo et al. and most libraries (torchmetrics' `n_bins=15` aside). */
export const DEFAULT_CALIBRATION_BINS = 10;

/** Per-bin sums of a window: how many rows, their summed confidence, how many were right. */
export interface CalibrationBins {
  readonly count: Float64Array;
  readonly confidenceSum: Float64Array;
  readonly correct: Float64Array;
}

/** Empty bins. */
export function calibrationBins(bins: number): CalibrationBins {
  return {
    count: new Float64Array(bins),
    confidenceSum: new Float64Array(bins),
    correct: new Float64Array(bins),
  };
}

/**
 * Bin of a confidence c in [0, 1] among `bins` equal-width bins ((k/B, (k+1)/B], Guo et al.'s
 * intervals, with c = 0 in the first): max(ceil(c B) - 1, 0), computed in float64 as numpy's
 * `np.maximum(np.ceil(c * B) - 1, 0)`, so a confidence whose product with B rounds up past an
 * edge lands in the upper bin.
 */
export function calibrationBin(confidence: number, bins: number): number {
  return Math.max(Math.ceil(confidence * bins) - 1, 0);
}

/**
 * Adds a row with the given probabilities (in class order) and true class: its confidence is
 * the largest probability, its prediction the first class holding it (numpy's `argmax`).
 */
export function addCalibrationRow(
  bins: CalibrationBins,
  probabilities: ArrayLike<number>,
  offset: number,
  classCount: number,
  trueClass: number,
): void {
  let best = 0;
  for (let c = 1; c < classCount; c++)
    if (probabilities[offset + c]! > probabilities[offset + best]!) best = c;
  const confidence = probabilities[offset + best]!;
  const b = calibrationBin(confidence, bins.count.length);
  bins.count[b]! += 1;
  bins.confidenceSum[b]! += confidence;
  if (best === trueClass) bins.correct[b]! += 1;
}

/** ECE = sum over bins of (rows in bin / rows) |accuracy in bin - mean confidence in bin|; NaN with no rows. */
export function expectedCalibrationError(bins: CalibrationBins): number {
  let total = 0;
  for (let b = 0; b < bins.count.length; b++) total += bins.count[b]!;
  if (total === 0) return Number.NaN;
  let ece = 0;
  for (let b = 0; b < bins.count.length; b++) {
    if (bins.count[b]! === 0) continue;
    ece += Math.abs(bins.correct[b]! - bins.confidenceSum[b]!) / total;
  }
  return ece;
}
