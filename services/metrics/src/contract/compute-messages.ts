/** ComputeMetrics' request and response ↔ the plain batch of src/queries/compute-metrics. */
import type { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { ComputedMetrics, ComputeMetricsInput } from '../queries/compute-metrics.js';
import { classificationToMessage, regressionToMessage } from './metric-messages.js';
import { dleMessage } from './window-messages.js';

/** @throws InvalidArgumentError unless exactly one of classification and regression is set (rule "data.set"). */
export function computeInputFromMessage(req: metricsV1.ComputeMetricsRequest): ComputeMetricsInput {
  const common = {
    ...(req.confidence === undefined ? {} : { confidence: req.confidence }),
    calibrationBins: req.calibrationBins,
  };
  if (req.classification && !req.regression) {
    const c = req.classification;
    return {
      ...common,
      batch: {
        task: 'classification',
        yTrue: c.yTrue,
        yPred: c.yPred,
        integerLabels: c.integerLabels,
        classes: c.classes,
        probabilities: c.probabilities,
      },
    };
  }
  if (req.regression && !req.classification) {
    return {
      ...common,
      batch: {
        task: 'regression',
        yTrue: req.regression.yTrue,
        yPred: req.regression.yPred,
        reference: { yTrue: req.regression.referenceYTrue, yPred: req.regression.referenceYPred },
      },
    };
  }
  throw new InvalidArgumentError(
    'data: exactly one of classification and regression is required (rule "data.set")',
  );
}

export function computedToMessage(computed: ComputedMetrics): metricsV1.ComputeMetricsResponse {
  if (computed.task === 'regression') {
    return {
      regression: regressionToMessage(computed.metrics),
      classes: [],
      ...(computed.dle !== undefined && { dle: dleMessage(computed.dle) }),
    };
  }
  return {
    classification: classificationToMessage(computed.metrics, computed.confidence, computed.calibrationBins),
    classes: [...computed.classes],
  };
}
