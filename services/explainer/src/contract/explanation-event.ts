/** One row of an explanation as the ExplanationEvent message (decision 10; anchor example tensors left out). */
import { explainerV1 } from '@sightline/contracts';
import type { ExplainOutcome } from '../data-plane/explain-types.js';
import type { ExplanationLink } from '../data-plane/explainer-data-plane.js';
import { explainResponseToMessage } from './explain-response.js';

/** The ExplanationEvents of an outcome, one per row, with their ids. */
export function explanationEventMessages(
  outcome: ExplainOutcome,
  link: ExplanationLink,
  newId: () => string,
): explainerV1.ExplanationEvent[] {
  const response = explainResponseToMessage(outcome);
  return response.explanations.map((explanation, i) => {
    const withoutExamples: explainerV1.InstanceExplanation = explanation.anchor
      ? { ...explanation, anchor: { ...explanation.anchor, coveredTrue: [], coveredFalse: [] } }
      : explanation;
    return {
      eventId: newId(),
      requestId: link.requestId,
      traceId: link.traceId,
      predictionRow: link.predictionRows[i] ?? explanation.row,
      modelName: outcome.target.modelName,
      modelVersion: outcome.target.modelVersion,
      graph: outcome.target.kind === 'graph' ? outcome.target.modelName : '',
      time: new Date(link.timeMs),
      ...(response.meta ? { meta: response.meta } : {}),
      explanation: withoutExamples,
      ...(response.usage ? { usage: response.usage } : {}),
    };
  });
}

/** The event as the JSON a CloudEvent carries (the proto3 JSON mapping). */
export function explanationEventJson(event: explainerV1.ExplanationEvent): unknown {
  return explainerV1.ExplanationEvent.toJSON(event);
}
