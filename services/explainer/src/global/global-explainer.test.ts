/**
 * The global run over a stand-in data plane whose "attributions" are the instance rows
 * themselves, so the aggregate of each group is the mean of the rows sent for it: chunking,
 * versions called, a version no longer served, the 1,000,000-event bound, a spent budget
 * and a missing router.
 */
import {
  CancellationSource,
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import { createTensor, type Tensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import type { ExplainCall, ExplainInput, ExplainOutcome } from '../data-plane/explain-types.js';
import type { ExplainerDataPlane } from '../data-plane/explainer-data-plane.js';
import type { StoredEvent, StoredEventInputs } from '../data-plane/stored-events.js';
import { GlobalExplainer } from './global-explainer.js';
import type { GlobalInput, GlobalProgress } from './global-types.js';

const event = (i: number, version: string, rows: number[][]): StoredEvent => ({
  eventId: `e${i}`,
  modelName: 'm',
  modelVersion: version,
  graph: '',
  inputs: [createTensor('x', 'FP64', [rows.length, 2], Float64Array.from(rows.flat()))],
});

/** Trace headers each upstream read and chunk was given. */
const seenHeaders: (Readonly<Record<string, string>> | undefined)[] = [];

/** Events visited newest first; `claim` overrides the count answered (the 1,000,000 bound). */
function storedEvents(events: StoredEvent[], claim?: number): StoredEventInputs {
  return {
    async scan(_query, options, visit) {
      seenHeaders.push(options.traceHeaders);
      for (const e of events) visit(e);
      return claim ?? events.length;
    },
  };
}

/** A data plane whose explanation of a row is the row; version '3' is NOT_FOUND; `calls` records the chunks. */
function standInPlane(
  calls: { version: string; rows: number; maxModelCalls: number }[],
  spendAfter = Infinity,
) {
  const entry = {
    field: 'kernel_shap',
    method: { metaName: 'KernelShap', modelAccess: 'black-box' },
    attributionsOf: (result: Float64Array) => [{ column: 0, values: result }],
  };
  return {
    methodEntry: () => entry,
    async explain(input: ExplainInput, explainCall: ExplainCall): Promise<ExplainOutcome> {
      seenHeaders.push(explainCall.traceHeaders);
      const version = input.target!.modelVersion;
      if (version === '3') throw new NotFoundError('model "m" version "3" not found');
      const tensor = input.instances[0] as Tensor & { data: Float64Array };
      const count = tensor.shape[0]!;
      calls.push({ version, rows: count, maxModelCalls: input.budget.maxModelCalls });
      const complete = calls.length <= spendAfter;
      return {
        entry,
        setup: { space: { featureCount: 2, featureNames: ['a', 'b'] } },
        rows: Array.from({ length: count }, (_, r) => ({
          row: r,
          result: tensor.data.slice(r * 2, r * 2 + 2),
          complete: complete || r === 0,
          fractionDone: 1,
        })),
        usage: {
          modelCalls: 1,
          rowsEvaluated: count,
          elapsedMs: 0,
          complete,
          incompleteReason: complete ? '' : 'budget.max_model_calls: 5 calls spent',
          cacheHit: false,
          inputHash: '',
          backend: '',
        },
      } as unknown as ExplainOutcome;
    },
  } as unknown as ExplainerDataPlane;
}

const INPUT: GlobalInput = {
  target: { kind: 'model', address: '', modelName: 'm', modelVersion: '', outputName: '', targetIndices: [] },
  selector: { modelName: '', modelVersion: '', graph: '', tensors: [] },
  range: { fromUnixMs: 0, toUnixMs: 1 },
  maxRows: 1_000,
  method: { key: 'kernelShap', message: {} },
  background: undefined,
  featureNames: [],
  budget: { maxModelCalls: 5, maxRowsPerCall: 0, timeoutMs: 0, onExhausted: 'partial' },
  seed: 0n,
};
const LIMITS = {
  maxInstances: 2,
  defaultMaxModelCalls: 1000,
  defaultMaxRowsPerCall: 100,
  defaultJobBudgetMs: 60_000,
};
const call = () => ({ cancellation: new CancellationSource() });

describe('GlobalExplainer', () => {
  it('explains each version at its version in chunks of --max-instances, and reports a version no longer served', async () => {
    const calls: { version: string; rows: number; maxModelCalls: number }[] = [];
    const events = [
      event(0, '1', [
        [1, 10],
        [3, 30],
      ]),
      event(1, '3', [[0, 0]]),
      event(2, '1', [[5, 50]]),
      event(3, '10', [[2, -2]]),
    ];
    const explainer = new GlobalExplainer({
      plane: standInPlane(calls),
      storedEvents: storedEvents(events),
      limits: LIMITS,
    });
    const progress: number[] = [];
    const traceHeaders = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    seenHeaders.length = 0;
    const outcome = await explainer.explain(INPUT, {
      ...call(),
      traceHeaders,
      onProgress: (p) => progress.push(p.rowsDone),
    });
    // The read and every chunk's model calls carry the submitter's trace (version 3's refused chunk too).
    expect(seenHeaders).toHaveLength(5);
    for (const headers of seenHeaders) expect(headers).toEqual(traceHeaders);
    expect(calls).toEqual([
      { version: '1', rows: 2, maxModelCalls: 5 },
      { version: '1', rows: 1, maxModelCalls: 4 },
      { version: '10', rows: 1, maxModelCalls: 3 },
    ]);
    expect(outcome.eventsMatched).toBe(4);
    expect(outcome.usage).toMatchObject({ complete: true, modelCalls: 3 });
    expect(outcome.groups.map((g) => [g.modelVersion, g.rows, g.unavailableReason])).toEqual([
      ['1', 3, ''],
      ['3', 0, 'model "m" version "3" not found'],
      ['10', 1, ''],
    ]);
    expect(outcome.groups[0]!.columns[0]!.features.map((f) => f.mean)).toEqual([3, 30]);
    expect(progress.at(-1)).toBe(5);
  });

  it('stops at a spent budget with the rows explained so far (partial)', async () => {
    const calls: { version: string; rows: number; maxModelCalls: number }[] = [];
    const events = [
      event(0, '1', [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ]),
    ];
    const explainer = new GlobalExplainer({
      plane: standInPlane(calls, 1),
      storedEvents: storedEvents(events),
      limits: LIMITS,
    });
    const outcome = await explainer.explain(INPUT, call());
    expect(calls).toHaveLength(2);
    expect(outcome.usage).toMatchObject({
      complete: false,
      incompleteReason: 'budget.max_model_calls: 5 calls spent',
    });
    // Two rows of the first chunk, the one complete row of the second.
    expect(outcome.groups[0]!.rows).toBe(3);
  });

  it('fails RESOURCE_EXHAUSTED instead of answering a partial result with on_exhausted FAIL', async () => {
    const events = [
      event(0, '1', [
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    ];
    const explainer = new GlobalExplainer({
      plane: standInPlane([]),
      storedEvents: storedEvents(events),
      limits: LIMITS,
    });
    const input = { ...INPUT, budget: { ...INPUT.budget, maxModelCalls: 1, onExhausted: 'fail' as const } };
    await expect(explainer.explain(input, call())).rejects.toThrow(
      new ResourceExhaustedError('budget.max_model_calls: 1 calls spent'),
    );
  });

  it("fails DEADLINE_EXCEEDED in the budget's words when reading the range takes the whole time budget", async () => {
    let clock = 1_000;
    const slow: StoredEventInputs = {
      async scan(_query, options, visit) {
        visit(event(0, '1', [[1, 1]]));
        visit(event(1, '1', [[2, 2]]));
        clock = options.deadlineMs;
        throw new DeadlineExceededError('Deadline exceeded after 0.100s');
      },
    };
    const explainer = new GlobalExplainer({
      plane: standInPlane([]),
      storedEvents: slow,
      limits: LIMITS,
      now: () => clock,
    });
    await expect(
      explainer.explain({ ...INPUT, budget: { ...INPUT.budget, timeoutMs: 100 } }, call()),
    ).rejects.toThrow(
      new DeadlineExceededError(
        "budget.timeout_ms: 100 ms spent reading the range's events (2 read); narrow the range or give the job more time",
      ),
    );
  });

  it('keeps the rows explained before a cancel in the answer so far, and ends CANCELLED', async () => {
    const calls: { version: string; rows: number; maxModelCalls: number }[] = [];
    const plane = standInPlane(calls);
    const cancellation = new CancellationSource();
    const explainChunk = plane.explain.bind(plane);
    // The second chunk is cancelled while it runs, as CancelExplanation would.
    plane.explain = async (input, explainCall) => {
      if (calls.length === 1) {
        cancellation.cancel(new CancelledError('job j: cancelled by CancelExplanation'));
        throw new CancelledError('the caller cancelled');
      }
      return explainChunk(input, explainCall);
    };
    const events = [
      event(0, '1', [
        [1, 1],
        [3, 3],
        [5, 5],
        [7, 7],
      ]),
    ];
    const explainer = new GlobalExplainer({ plane, storedEvents: storedEvents(events), limits: LIMITS });
    let last: GlobalProgress | undefined;
    await expect(explainer.explain(INPUT, { cancellation, onProgress: (p) => (last = p) })).rejects.toThrow(
      'cancelled by CancelExplanation',
    );
    const partial = last!.snapshot();
    expect(partial.usage).toMatchObject({ complete: false, incompleteReason: 'cancelled' });
    expect(partial.groups[0]!.rows).toBe(2);
    expect(partial.groups[0]!.columns[0]!.features.map((f) => f.mean)).toEqual([2, 2]);
  });

  it('refuses more than 1,000,000 matching events, and runs nothing without a router', async () => {
    const explainer = new GlobalExplainer({
      plane: standInPlane([]),
      storedEvents: storedEvents([], 1_000_001),
      limits: LIMITS,
    });
    await expect(explainer.explain(INPUT, call())).rejects.toThrow(ResourceExhaustedError);
    await expect(explainer.explain(INPUT, call())).rejects.toThrow('(rule "range.max_events")');
    const noRouter = new GlobalExplainer({
      plane: standInPlane([]),
      storedEvents: undefined,
      limits: LIMITS,
    });
    await expect(noRouter.explain(INPUT, call())).rejects.toThrow(FailedPreconditionError);
  });

  it('names the rules of a request it cannot run', () => {
    const explainer = new GlobalExplainer({
      plane: standInPlane([]),
      storedEvents: storedEvents([]),
      limits: LIMITS,
    });
    expect(() => explainer.check({ ...INPUT, target: undefined })).toThrow('(rule "target.set")');
    expect(() => explainer.check({ ...INPUT, range: undefined })).toThrow(
      'range: required (rule "range.set")',
    );
    expect(() => explainer.check({ ...INPUT, method: { key: 'anchors', message: {} } })).toThrow(
      '(rule "method.set")',
    );
    expect(() => explainer.check({ ...INPUT, maxRows: 0 })).toThrow('(rule "max_rows")');
  });
});
