/**
 * Log loss as scikit-learn 1.2's `log_loss(y_true, p, eps='auto')`: every probability is clipped
 * to [eps, 1 - eps] with eps = float64 machine epsilon (2.22e-16), each row is renormalised to
 * sum 1, and the loss of a row is -ln(its renormalised probability of the true class).
 */

/** scikit-learn's `eps='auto'` for float64 probabilities: `np.finfo(np.float64).eps`. */
export const LOG_LOSS_EPSILON = Number.EPSILON;

/** The log loss of one row of `classCount` probabilities starting at `offset`, true class `trueClass`. */
export function logLossTerm(
  probabilities: ArrayLike<number>,
  offset: number,
  classCount: number,
  trueClass: number,
): number {
  let sum = 0;
  for (let c = 0; c < classCount; c++) sum += clip(probabilities[offset + c]!);
  return -Math.log(clip(probabilities[offset + trueClass]!) / sum);
}

function clip(p: number): number {
  return Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
}
