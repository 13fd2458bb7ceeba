/** Small prediction and feedback records for the store tests. */
import type { FeedbackRecord, PredictionRecord, Truth } from '../../src/domain/records.js';

export function prediction(
  eventId: string,
  requestId: string,
  options: Partial<Omit<PredictionRecord, 'eventId' | 'requestId' | 'rows'>> & { rowCount?: number } = {},
): PredictionRecord {
  const { rowCount = 1, ...rest } = options;
  return {
    eventId,
    requestId,
    modelName: 'iris',
    modelVersion: '1',
    node: '',
    graph: '',
    outputName: 'label',
    timeMs: 1_000,
    task: 'classification',
    classes: ['setosa', 'versicolor', 'virginica'],
    rows: Array.from({ length: rowCount }, (_, row) => ({
      row,
      label: 'setosa',
      probabilities: [0.8, 0.15, 0.05],
      segments: { country: 'fr' },
    })),
    ...rest,
  };
}

export const label = (value: string): Truth => ({ kind: 'label', label: value });

export function feedback(
  requestId: string,
  truth: Truth,
  options: Partial<Omit<FeedbackRecord, 'requestId' | 'truth'>> = {},
): FeedbackRecord {
  return { requestId, modelName: '', row: 0, truth, observedMs: 5_000, receivedMs: 5_000, ...options };
}
