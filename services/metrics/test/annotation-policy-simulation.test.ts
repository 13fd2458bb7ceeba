/**
 * How many labels each annotation policy needs to detect an accuracy drop (issue 12), in a
 * seeded scenario run through the real queues:
 *
 * - A 3-class classifier, calibrated on its usual traffic (top-class probability c in
 *   [0.6, 1), right with probability c).
 * - After the change, 30% of requests come from a drifted population: the model is less sure
 *   (c in [0.45, 0.75)) and right only 35% of the time; the outlier detector scores those
 *   rows high (2.5 + |N(0,1)| against |N(0,1)|); the shadow model disagrees with the model on
 *   70% of them (10% elsewhere).
 * - Each policy's queue is filled once with PRE-change traffic and labelled in queue order to
 *   get the policy's own reference accuracy (each policy picks different rows, so each needs
 *   its own baseline), then filled with POST-change traffic and labelled in queue order until
 *   the 95% Wilson interval of the labelled accuracy lies wholly below that reference.
 *
 * Everything random comes from one seeded generator: the run is the same every time, so the
 * ordering asserted cannot fail by chance; docs/annotation.md records the figures.
 */
import { seededRandom, wilsonInterval } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { AnnotationQueues } from '../src/annotation/annotation-queues.js';
import type { AnnotationPolicyName, StoredPrediction } from '../src/annotation/annotation-types.js';
import type { AnnotationDocuments } from '../src/annotation/queue-documents.js';
import type { PredictionRecord } from '../src/domain/records.js';
import { CLASSES, RecordingFeedbackPort, T0 } from './annotation-fixtures.js';

const FIRST_SEED = 20261204;
/** Independent runs (seeds FIRST_SEED, FIRST_SEED + 1, ...): one run's count is one draw, the median over runs is the figure. */
const RUNS = 15;
const REQUESTS_PER_PHASE = 1000;
const DRIFTED_SHARE = 0.3;
/** Items a queue keeps, and the most labels spent per phase. */
const CAPACITY = 120;
/** No verdict from fewer labels than this (a rule a team would set; it also tames early flukes of repeated looks). */
const MIN_LABELS = 10;
const MINUTE = 60_000;
const POLICIES: readonly AnnotationPolicyName[] = [
  'uniform',
  'least_confident',
  'outliers_first',
  'shadow_disagreement',
];

/** The four document methods, in memory: this test measures policies, not the store (tested elsewhere). */
class MemoryDocuments implements AnnotationDocuments {
  readonly #docs = new Map<string, string>();
  async putDocument(collection: string, id: string, json: string) {
    this.#docs.set(`${collection}/${id}`, json);
  }
  async getDocument(collection: string, id: string) {
    return this.#docs.get(`${collection}/${id}`);
  }
  async listDocuments() {
    return { documents: [] };
  }
  async deleteDocument(collection: string, id: string) {
    return this.#docs.delete(`${collection}/${id}`);
  }
}

interface SimRow {
  readonly requestId: string;
  readonly timeMs: number;
  readonly probabilities: number[];
  readonly shadowProbabilities: number[];
  readonly outlierScore: number;
  readonly truth: string;
}

function probabilitiesFor(top: number, confidence: number): number[] {
  return CLASSES.map((_, i) => (i === top ? confidence : (1 - confidence) / (CLASSES.length - 1)));
}

function simulate(phase: 'pre' | 'post', random: ReturnType<typeof seededRandom>): SimRow[] {
  return Array.from({ length: REQUESTS_PER_PHASE }, (_, i) => {
    const drifted = phase === 'post' && random.nextFloat() < DRIFTED_SHARE;
    const top = random.nextInt(CLASSES.length);
    const confidence = drifted ? 0.45 + 0.3 * random.nextFloat() : 0.6 + 0.4 * random.nextFloat();
    const right = random.nextFloat() < (drifted ? 0.35 : confidence);
    const wrong = (top + 1 + random.nextInt(CLASSES.length - 1)) % CLASSES.length;
    const agrees = random.nextFloat() < (drifted ? 0.3 : 0.9);
    const shadowTop = agrees ? top : (top + 1 + random.nextInt(CLASSES.length - 1)) % CLASSES.length;
    return {
      requestId: `${phase}-${i}`,
      timeMs: T0 + i * MINUTE,
      probabilities: probabilitiesFor(top, confidence),
      shadowProbabilities: probabilitiesFor(shadowTop, 0.6 + 0.4 * random.nextFloat()),
      outlierScore: (drifted ? 2.5 : 0) + Math.abs(random.nextNormal()),
      truth: CLASSES[right ? top : wrong] as string,
    };
  });
}

function record(modelName: string, row: SimRow, probabilities: number[]): PredictionRecord {
  const top = probabilities.indexOf(Math.max(...probabilities));
  return {
    eventId: `${modelName}-${row.requestId}`,
    requestId: row.requestId,
    modelName,
    modelVersion: 'v1',
    node: '',
    graph: '',
    outputName: 'probabilities',
    timeMs: row.timeMs,
    task: 'classification',
    classes: [...CLASSES],
    rows: [{ row: 0, label: CLASSES[top] as string, probabilities }],
  };
}

/** Feeds a phase's traffic to one policy's queue (outlier scores before the prediction for half the requests, after for the rest). */
async function feed(queues: AnnotationQueues, modelName: string, rows: readonly SimRow[]): Promise<void> {
  for (const [i, row] of rows.entries()) {
    const score = { detector: 'iforest', requestId: row.requestId, instanceScores: [row.outlierScore] };
    const stored: StoredPrediction[] = [
      { record: record(modelName, row, row.probabilities), inputs: [] },
      { record: record(`${modelName}-shadow`, row, row.shadowProbabilities), inputs: [] },
    ];
    if (i % 2 === 0) await queues.outlierScoresReceived(score);
    await queues.predictionsStored(i % 3 === 0 ? [stored[1]!, stored[0]!] : stored);
    if (i % 2 === 1) await queues.outlierScoresReceived(score);
  }
}

/**
 * Labels the queue's items in order (one lease at a time, as an annotator works), calling
 * `stop` after each label with the counts so far; the number of labels used.
 */
async function label(
  queues: AnnotationQueues,
  modelName: string,
  truths: ReadonlyMap<string, string>,
  stop: (right: number, labelled: number) => boolean,
): Promise<{ labelled: number; right: number; stopped: boolean }> {
  let right = 0;
  let labelled = 0;
  while (labelled < CAPACITY) {
    const [item] = await queues.leaseItems(modelName, { annotator: 'expert' });
    if (!item) break;
    const truth = truths.get(item.requestId) as string;
    await queues.answerItem(modelName, item.itemId, 'expert', {
      kind: 'truth',
      truth: { kind: 'label', label: truth },
    });
    labelled++;
    if (truth === item.prediction.label) right++;
    if (stop(right, labelled)) return { labelled, right, stopped: true };
  }
  return { labelled, right, stopped: false };
}

interface PolicyResult {
  readonly policy: AnnotationPolicyName;
  readonly referenceAccuracy: number;
  readonly labelsToDetect: number | undefined;
  readonly accuracyAtDetection: number;
}

async function runScenario(seed: number): Promise<PolicyResult[]> {
  const random = seededRandom(seed);
  const pre = simulate('pre', random);
  const post = simulate('post', random);
  const truths = new Map([...pre, ...post].map((row) => [row.requestId, row.truth]));
  const queues = await AnnotationQueues.open({
    documents: new MemoryDocuments(),
    feedback: new RecordingFeedbackPort(),
    now: () => T0,
    options: { maxPendingPerQueue: 2 * REQUESTS_PER_PHASE },
  });
  const results: PolicyResult[] = [];
  for (const policy of POLICIES) {
    const settings = (modelName: string) => ({
      modelName,
      policy,
      sampleRate: 1,
      capacity: CAPACITY,
      ...(policy === 'outliers_first' ? { outlierDetector: 'iforest' } : {}),
      ...(policy === 'shadow_disagreement' ? { shadow: `${modelName}-shadow` } : {}),
    });
    await queues.putQueue(settings(`${policy}-pre`));
    await feed(queues, `${policy}-pre`, pre);
    const reference = await label(queues, `${policy}-pre`, truths, () => false);
    const referenceAccuracy = reference.right / reference.labelled;
    await queues.putQueue(settings(`${policy}-post`));
    await feed(queues, `${policy}-post`, post);
    const monitored = await label(
      queues,
      `${policy}-post`,
      truths,
      (right, labelled) =>
        labelled >= MIN_LABELS && wilsonInterval(right, labelled, 0.95).high < referenceAccuracy,
    );
    results.push({
      policy,
      referenceAccuracy,
      labelsToDetect: monitored.stopped ? monitored.labelled : undefined,
      accuracyAtDetection: monitored.right / monitored.labelled,
    });
  }
  return results;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

describe('labels each policy needs to detect an accuracy drop', () => {
  it('least confident and outliers first need fewer labels than uniform', async () => {
    const runs: PolicyResult[][] = [];
    for (let run = 0; run < RUNS; run++) runs.push(await runScenario(FIRST_SEED + run));
    const summary = POLICIES.map((policy) => {
      const mine = runs.map((results) => results.find((r) => r.policy === policy) as PolicyResult);
      // A run that never detected counts as one label more than a queue holds.
      const labels = mine.map((r) => r.labelsToDetect ?? CAPACITY + 1);
      return {
        policy,
        medianLabels: median(labels),
        detectedRuns: mine.filter((r) => r.labelsToDetect !== undefined).length,
        medianReference: median(mine.map((r) => r.referenceAccuracy)),
        medianAccuracyAtDetection: median(mine.map((r) => r.accuracyAtDetection)),
      };
    });
    // The figures docs/annotation.md quotes (vitest shows a test's stdout).
    process.stdout.write(
      `${summary
        .map(
          (s) =>
            `${s.policy}: median labels ${s.medianLabels}, detected in ${s.detectedRuns}/${RUNS} runs, median reference accuracy ${s.medianReference.toFixed(3)}, median labelled accuracy at detection ${s.medianAccuracyAtDetection.toFixed(3)}`,
        )
        .join('\n')}\n`,
    );
    const labels = Object.fromEntries(summary.map((s) => [s.policy, s.medianLabels]));
    expect(labels.least_confident).toBeLessThan(labels.uniform as number);
    expect(labels.outliers_first).toBeLessThan(labels.uniform as number);
  }, 180_000);
});
