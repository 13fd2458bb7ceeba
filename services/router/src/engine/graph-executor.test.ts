import { type Tracer, trace } from '@opentelemetry/api';
import {
  type Cancellation,
  CancelledError,
  cancellationOf,
  NEVER_CANCELLED,
  SightlineError,
  UnavailableError,
} from '@sightline/errors';
import { createTensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { diamondStack } from '../../test/helpers/graph-shapes.js';
import { parseGraphDocument } from '../contract/graph-document.js';
import { compileGraph } from '../graph/compiled-graph.js';
import { validateGraph } from '../graph/graph-validator.js';
import { GraphExecutor } from './graph-executor.js';
import type { MirrorResult } from './off-path-runner.js';
import type { CallOptions, ExecutionObserver, ModelCall, ModelInferer, ModelTarget } from './ports.js';
import type { RoutedRequest } from './routed-request.js';
import { RoutedTensor } from './routed-tensor.js';

/** In-process models: each a function of its input, recording the calls it got. */
class InProcessModels implements ModelInferer {
  readonly calls: { target: ModelTarget; call: ModelCall; deadlineMs: number }[] = [];
  constructor(
    private readonly behaviour: (
      target: ModelTarget,
      call: ModelCall,
      attempt: number,
    ) => Promise<RoutedTensor[]>,
  ) {}
  async infer(target: ModelTarget, call: ModelCall, options: { deadlineMs: number }) {
    this.calls.push({ target, call, deadlineMs: options.deadlineMs });
    const attempt = this.calls.filter((c) => c.target.modelName === target.modelName).length;
    const tensors = await this.behaviour(target, call, attempt);
    return { modelName: target.modelName, modelVersion: '1', tensors, parameters: {} };
  }
}

const fp32 = (name: string, values: number[], shape = [1, values.length]) =>
  RoutedTensor.fromTensor(createTensor(name, 'FP32', shape, Float32Array.from(values)));

/** A request as the data plane hands it over, not encoded (so nothing can be forwarded). */
function routedRequest(tensors: RoutedTensor[], parameters: Record<string, string> = {}): RoutedRequest {
  return {
    modelName: 'g',
    modelVersion: '',
    id: '',
    tensors,
    parameters,
    outputs: [],
    rawContents: false,
    encoded: undefined,
  };
}

function recordingObserver() {
  const seen = { retries: 0, breaker: [] as string[], dropped: 0 };
  const observer: ExecutionObserver = {
    nodeFinished() {},
    retried: () => {
      seen.retries += 1;
    },
    breakerChanged: (_g, _n, _a, state) => {
      seen.breaker.push(state);
    },
    offPathDropped: () => {
      seen.dropped += 1;
    },
  };
  return { observer, seen };
}

function graph(text: string) {
  const parsed = parseGraphDocument(text);
  expect(parsed.problems).toEqual([]);
  expect(validateGraph(parsed.graph!).filter((p) => p.severity === 'error')).toEqual([]);
  return compileGraph(parsed.graph!);
}

function executor(models: ModelInferer, extra: Partial<ConstructorParameters<typeof GraphExecutor>[0]> = {}) {
  const { observer, seen } = recordingObserver();
  const ex = new GraphExecutor({
    models,
    detectors: { predict: async () => ({ isOutlier: true, score: 0.9 }) },
    tracer: trace.getTracer('test'),
    observer,
    defaultModelAddress: 'default:1',
    detectorAddresses: { outlier: 'outlier:1', drift: 'drift:1' },
    random: () => 0.5,
    ...extra,
  });
  return { ex, seen };
}

function run(
  ex: GraphExecutor,
  g: ReturnType<typeof graph>,
  opts: {
    headers?: Record<string, string>;
    parameters?: Record<string, string>;
    budgetMs?: number;
    tensors?: RoutedTensor[];
  } = {},
) {
  return ex.run({
    graph: g,
    requestId: 'r1',
    request: routedRequest(opts.tensors ?? [fp32('input', [1, 2, 3, 4])], opts.parameters ?? {}),
    headers: opts.headers ?? {},
    deadlineMs: Date.now() + (opts.budgetMs ?? 5000),
    cancellation: NEVER_CANCELLED,
  });
}

const echo = new InProcessModels(async (target, call) => [
  fp32(`${target.modelName}_out`, Array.from(call.tensors[0]!.tensor().data as Float32Array)),
]);

/** A 50/50 splitter over models a and b, sticky on the request parameter `parameter`. */
const splitterStickyOn = (parameter: string) =>
  graph(`
name: ab
root: ab
nodes:
  - name: ab
    splitter: { branches: [{ node: a, weight: 50 }, { node: b, weight: 50 }], stickyKey: { parameter: ${parameter} } }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
`);

describe('GraphExecutor', () => {
  it('runs a sequence with select and rename, recording the path', async () => {
    const g = graph(`
name: seq
root: s
nodes:
  - name: s
    sequence:
      steps:
        - node: a
        - node: b
          mapping: { select: [a_out], rename: { a_out: renamed } }
        - node: c
          input: merged
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
  - { name: c, model: { modelName: c, address: "other:2" } }
`);
    const models = new InProcessModels(async (t, call) => [
      fp32(`${t.modelName}_out`, [call.tensors.length]),
    ]);
    const { ex } = executor(models);
    const result = await run(ex, g);
    expect(result.trail.path).toEqual(['s', 'a', 'b', 'c']);
    expect(models.calls.map((c) => c.call.tensors.map((t) => t.name))).toEqual([
      ['input'],
      ['renamed'],
      ['input', 'b_out'],
    ]);
    expect(models.calls.map((c) => c.target.address)).toEqual(['default:1', 'default:1', 'other:2']);
    expect(result.payload.tensors.map((t) => t.name)).toEqual(['c_out']);
  });

  it('starts no node or attempt spans when untraced, and runs the same graph the same way', async () => {
    const g = graph(`
name: two
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: a }, { node: b }] }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
`);
    let spans = 0;
    const base = trace.getTracer('test');
    const counting: Tracer = {
      startSpan: (...args: Parameters<Tracer['startSpan']>) => {
        spans += 1;
        return base.startSpan(...args);
      },
      startActiveSpan: ((...args: unknown[]) => {
        spans += 1;
        return (base.startActiveSpan as (...a: unknown[]) => unknown)(...args);
      }) as Tracer['startActiveSpan'],
    };
    const traced = await run(executor(echo, { tracer: counting }).ex, g);
    expect(spans).toBe(5); // three nodes, two upstream attempts
    spans = 0;
    const untraced = await run(executor(echo, { tracer: counting, traced: false }).ex, g);
    expect(spans).toBe(0);
    expect(untraced.trail.path).toEqual(traced.trail.path);
    expect(untraced.payload.tensors.map((t) => t.name)).toEqual(['b_out']);
  });

  it('calls no upstream for a caller that already gave up, answering CANCELLED', async () => {
    const g = graph('name: p\nroot: a\nnodes: [{ name: a, model: { modelName: a } }]');
    const models = new InProcessModels(async () => [fp32('out', [1])]);
    const controller = new AbortController();
    controller.abort();
    const failed = executor(models).ex.run({
      graph: g,
      requestId: 'r1',
      request: routedRequest([fp32('input', [1, 2, 3, 4])]),
      headers: {},
      deadlineMs: Date.now() + 5000,
      cancellation: cancellationOf(controller.signal),
    });
    await expect(failed).rejects.toThrow(CancelledError);
    expect(models.calls).toHaveLength(0);
  });

  it('forwards raw tensors without decoding them', async () => {
    const g = graph('name: p\nroot: a\nnodes: [{ name: a, model: { modelName: a } }]');
    const raw = RoutedTensor.fromRaw('input', 'FP32', [1, 1], new Uint8Array(4));
    const models = new InProcessModels(async (_t, call) => [...call.tensors]);
    const result = await run(executor(models).ex, g, { tensors: [raw] });
    expect(models.calls[0]!.call.tensors[0]).toBe(raw);
    expect(result.payload.tensors[0]!.isDecoded).toBe(false);
  });

  it('switches on a header, a parameter and a tensor element, with a default', async () => {
    const g = graph(`
name: sw
root: sw
nodes:
  - name: sw
    switch:
      cases:
        - { condition: { header: x-variant, operator: eq, values: [b] }, node: b }
        - { condition: { parameter: tier, operator: in, values: [gold, silver] }, node: c }
        - { condition: { tensor: { name: input, index: 2 }, operator: gt, values: [10] }, node: c }
      defaultNode: a
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
  - { name: c, model: { modelName: c } }
`);
    const { ex } = executor(echo);
    expect((await run(ex, g, { headers: { 'x-variant': 'b' } })).trail.path).toEqual(['sw', 'b']);
    expect((await run(ex, g, { parameters: { tier: 'silver' } })).trail.path).toEqual(['sw', 'c']);
    expect((await run(ex, g, { tensors: [fp32('input', [0, 0, 11, 0])] })).trail.path).toEqual(['sw', 'c']);
    expect((await run(ex, g)).trail.path).toEqual(['sw', 'a']);
  });

  it('reads names such as "constructor" or "toString" as absent, never as Object.prototype members', async () => {
    const sw = graph(`
name: sw
root: sw
nodes:
  - name: sw
    switch:
      cases:
        - { condition: { header: constructor, operator: ne, values: [x] }, node: b }
        - { condition: { parameter: toString, operator: ne, values: [x] }, node: b }
      defaultNode: a
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
`);
    const { ex } = executor(echo);
    expect((await run(ex, sw)).trail.path).toEqual(['sw', 'a']);
    expect((await run(ex, sw, { parameters: { toString: 'y' } })).trail.path).toEqual(['sw', 'b']);

    const renaming = graph(`
name: seq
root: s
nodes:
  - name: s
    sequence:
      steps:
        - node: a
        - { node: b, mapping: { rename: { other: renamed } } }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
`);
    const models = new InProcessModels(async (t, call) =>
      t.modelName === 'a' ? [fp32('toString', [1])] : [...call.tensors],
    );
    const result = await run(executor(models).ex, renaming);
    expect(result.payload.tensors.map((t) => t.name)).toEqual(['toString']);

    // Without the sticky parameter the choice is random, not one branch for every such request.
    const ab = splitterStickyOn('constructor');
    let draw = 0;
    const alternating = executor(echo, { random: () => (draw++ % 2 === 0 ? 0.25 : 0.75) }).ex;
    const paths = [await run(alternating, ab), await run(alternating, ab)].map((r) => r.trail.path[1]);
    expect(paths).toEqual(['a', 'b']);
  });

  it('combines ensembles: mean, weighted mean, majority vote, concat', async () => {
    const outputs: Record<string, number[]> = { a: [0.8, 0.2, 0], b: [0.2, 0.4, 0.4], c: [0.1, 0.5, 0.4] };
    const models = new InProcessModels(async (t) => [fp32('p', outputs[t.modelName]!)]);
    const make = (combiner: string, extra = '') =>
      graph(`
name: e
root: e
nodes:
  - name: e
    ensemble: { members: [{ node: a, weight: 3 }, { node: b, weight: 1 }, { node: c, weight: 1 }], combiner: ${combiner} ${extra} }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
  - { name: c, model: { modelName: c } }
`);
    const { ex } = executor(models);
    const values = async (combiner: string, extra = '') =>
      Array.from(
        (await run(ex, make(combiner, extra))).payload.tensors[0]!.tensor().data as ArrayLike<
          number | bigint
        >,
      );
    expect((await values('mean')).map((v) => Number(v).toFixed(4))).toEqual(['0.3667', '0.3667', '0.2667']);
    expect((await values('weighted_mean')).map((v) => Number(v).toFixed(4))).toEqual([
      '0.5400',
      '0.3000',
      '0.1600',
    ]);
    expect(await values('majority_vote')).toEqual([1n]);
    const concat = (await run(ex, make('concat', ', concatAxis: -1'))).payload.tensors[0]!.tensor();
    expect(concat.shape).toEqual([1, 9]);
  });

  it('skips a failing soft member and records it', async () => {
    const g = graph(`
name: e
root: e
nodes:
  - name: e
    ensemble: { members: [{ node: a }, { node: b }], combiner: mean, minMembers: 1 }
  - { name: a, model: { modelName: a } }
  - { name: b, policy: { dependency: soft }, model: { modelName: b } }
`);
    const models = new InProcessModels(async (t) => {
      if (t.modelName === 'b') throw new UnavailableError('b is down');
      return [fp32('p', [1, 0])];
    });
    const result = await run(executor(models).ex, g);
    expect(result.trail.skipped).toEqual(['b']);
    expect(Array.from(result.payload.tensors[0]!.tensor().data as Float32Array)).toEqual([1, 0]);
  });

  it('splits by weight, sticky on a key', async () => {
    const g = splitterStickyOn('user');
    const { ex } = executor(echo, { random: Math.random });
    const branchFor = async (user: string) => (await run(ex, g, { parameters: { user } })).trail.path[1];
    const branches = new Set<string | undefined>();
    for (let i = 0; i < 40; i++) {
      const user = `user-${i}`;
      const first = await branchFor(user);
      expect(await branchFor(user)).toBe(first);
      branches.add(first);
    }
    expect(branches).toEqual(new Set(['a', 'b']));
  });

  it('answers from the shadow primary without waiting for the mirror, and reports the mirror', async () => {
    const g = graph(`
name: sh
root: sh
nodes:
  - { name: sh, shadow: { primary: a, mirrors: [slow] } }
  - { name: a, model: { modelName: a } }
  - { name: slow, model: { modelName: slow } }
`);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const models = new InProcessModels(async (t) => {
      if (t.modelName === 'slow') {
        await gate;
        throw new UnavailableError('mirror failed');
      }
      return [fp32('p', [1])];
    });
    const mirrors: MirrorResult[] = [];
    const { ex } = executor(models, { onMirrorResult: (m) => mirrors.push(m) });
    const result = await run(ex, g);
    expect(result.trail.path).toEqual(['sh', 'a']);
    expect(result.payload.tensors[0]!.name).toBe('p');
    await new Promise((r) => setImmediate(r));
    expect(ex.offPathCalls).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(mirrors).toEqual([
      expect.objectContaining({ mirrorNode: 'slow', code: 'UNAVAILABLE', requestId: 'r1' }),
    ]);
    expect(ex.offPathCalls).toBe(0);
  });

  it('starts mirrors only after the run has produced its answer (issue 8, defect 13)', async () => {
    const g = graph(`
name: sh
root: sh
nodes:
  - { name: sh, shadow: { primary: a, mirrors: [m1, m2, m3] } }
  - { name: a, model: { modelName: a } }
  - { name: m1, model: { modelName: m1 } }
  - { name: m2, model: { modelName: m2 } }
  - { name: m3, model: { modelName: m3 } }
`);
    const order: string[] = [];
    const models = new InProcessModels(async (t) => {
      order.push(`call ${t.modelName}`);
      // The primary takes a while: mirrors started during the walk would call in the meantime.
      if (t.modelName === 'a') await new Promise((r) => setTimeout(r, 20));
      return [fp32('p', [1])];
    });
    const mirrors: MirrorResult[] = [];
    const { ex } = executor(models, { onMirrorResult: (m) => mirrors.push(m) });
    const answered = run(ex, g).then(() => order.push('answer'));
    // What the caller does with the answer in the same turn (encode, hand it to gRPC) comes first too.
    await answered;
    order.push('answer sent');
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['call a', 'answer', 'answer sent', 'call m1', 'call m2', 'call m3']);
    expect(mirrors.map((m) => m.code)).toEqual(['OK', 'OK', 'OK']);
  });

  it('runs a node shared by several parents once per request: a depth-12 diamond stack (issue 8, defect 3)', async () => {
    const depth = 12;
    const g = graph(diamondStack(depth));
    const models = new InProcessModels(async () => [fp32('output', [1])]);
    const { ex } = executor(models);
    const result = await run(ex, g);
    // Unfolded as a tree this is 2^12 = 4,096 model calls; as a DAG it is one per model node.
    expect(models.calls.map((c) => c.target.modelName).sort()).toEqual(['a', 'b']);
    expect(new Set(result.trail.path).size).toBe(result.trail.path.length);
    expect(result.trail.path).toHaveLength(2 * depth + 1);
  });

  it('still runs a node again for a different input (a sequence step calling it twice)', async () => {
    const g = graph(`
name: twice
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: inc }, { node: inc }] }
  - { name: inc, model: { modelName: inc } }
`);
    const models = new InProcessModels(async (_t, call) => [
      fp32('input', [(call.tensors[0]!.tensor().data as Float32Array)[0]! + 1]),
    ]);
    const result = await run(executor(models).ex, g, { tensors: [fp32('input', [1])] });
    expect(models.calls).toHaveLength(2);
    expect(Array.from(result.payload.tensors[0]!.tensor().data as Float32Array)).toEqual([3]);
  });

  it('retries only UNAVAILABLE, then names the node and the attempts', async () => {
    const g = graph(`
name: r
root: a
nodes:
  - name: a
    policy: { retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 } }
    model: { modelName: a, address: "h:1" }
`);
    const down = new InProcessModels(async () => {
      throw new UnavailableError('connect ECONNREFUSED');
    });
    const { ex, seen } = executor(down);
    await expect(run(ex, g)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'node "a" (model "a" at h:1): UNAVAILABLE after 3 attempts: connect ECONNREFUSED',
    });
    expect(down.calls).toHaveLength(3);
    expect(seen.retries).toBe(2);

    const invalid = new InProcessModels(async () => {
      throw new SightlineError('INVALID_ARGUMENT', 'bad input');
    });
    await expect(run(executor(invalid).ex, g)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(invalid.calls).toHaveLength(1);
  });

  it('opens the circuit breaker after consecutive failures and fails fast', async () => {
    const g = graph(`
name: cb
root: a
nodes:
  - name: a
    policy: { circuitBreaker: { failureThreshold: 2, openDurationMs: 60000 } }
    model: { modelName: a }
`);
    const down = new InProcessModels(async () => {
      throw new UnavailableError('down');
    });
    const { ex, seen } = executor(down);
    for (let i = 0; i < 2; i++) await expect(run(ex, g)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(run(ex, g)).rejects.toThrow(/circuit breaker open/);
    expect(down.calls).toHaveLength(2);
    expect(seen.breaker).toEqual(['open']);
  });

  describe('circuit breaker trials (issue 8, defect 1)', () => {
    const breakerGraph = () =>
      graph(`
name: cb
root: a
nodes:
  - name: a
    policy: { circuitBreaker: { failureThreshold: 2, openDurationMs: 1000 } }
    model: { modelName: a }
`);
    type Answer = (options: CallOptions) => Promise<void> | void;
    const fail =
      (code: string): Answer =>
      () => {
        throw new SightlineError(code as never, `answered ${code}`);
      };
    /** A model answering its n-th call with `answers[n-1]` (OK past the end), counting calls. */
    function scripted(answers: Answer[]) {
      const models = {
        calls: 0,
        infer(target: ModelTarget, _call: ModelCall, options: CallOptions) {
          const answer = answers[models.calls++];
          // Synchronous on purpose: an answer may throw before any promise exists.
          const pending = answer?.(options);
          return Promise.resolve(pending).then(() => ({
            modelName: target.modelName,
            modelVersion: '1',
            tensors: [fp32('out', [1])],
            parameters: {},
          }));
        },
      };
      return models;
    }
    /** An executor on a clock the test moves, its breaker opened by two UNAVAILABLE and due for a trial. */
    async function openBreaker(answers: Answer[]) {
      const models = scripted([fail('UNAVAILABLE'), fail('UNAVAILABLE'), ...answers]);
      const clock = { ms: Date.now() };
      const { ex, seen } = executor(models, { now: () => clock.ms });
      const g = breakerGraph();
      const runAt = (cancellation: Cancellation = NEVER_CANCELLED) =>
        ex.run({
          graph: g,
          requestId: 'r',
          request: routedRequest([fp32('input', [1])]),
          headers: {},
          deadlineMs: clock.ms + 5000,
          cancellation,
        });
      for (let i = 0; i < 2; i++) await expect(runAt()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(runAt()).rejects.toThrow(/circuit breaker open/);
      expect(models.calls).toBe(2);
      clock.ms += 1000;
      return { ex, seen, clock, runAt, models };
    }

    for (const code of ['NOT_FOUND', 'INVALID_ARGUMENT']) {
      it(`closes when the half-open trial is answered ${code}`, async () => {
        const { runAt, seen, models } = await openBreaker([fail(code)]);
        await expect(runAt()).rejects.toMatchObject({ code });
        await expect(runAt()).resolves.toBeDefined();
        await expect(runAt()).resolves.toBeDefined();
        expect(models.calls).toBe(5);
        expect(seen.breaker).toEqual(['open', 'half_open', 'closed']);
      });
    }

    it("re-arms the trial when the caller's deadline ends it, so the next call is the trial", async () => {
      const { runAt, models } = await openBreaker([fail('DEADLINE_EXCEEDED')]);
      await expect(runAt()).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      await expect(runAt()).resolves.toBeDefined();
      expect(models.calls).toBe(4);
    });

    it('re-arms the trial when the caller cancels it', async () => {
      const controller = new AbortController();
      const { runAt, models } = await openBreaker([
        (options) =>
          new Promise<void>((_resolve, reject) => {
            options.cancellation.onCancel(reject);
            controller.abort(new CancelledError('caller went away'));
          }),
      ]);
      await expect(runAt(cancellationOf(controller.signal))).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect(runAt()).resolves.toBeDefined();
      expect(models.calls).toBe(4);
    });

    it('frees the trial slot when the call throws synchronously, reopening with a new trial time', async () => {
      const { runAt, clock, models } = await openBreaker([
        () => {
          throw new Error('synchronous bug');
        },
      ]);
      await expect(runAt()).rejects.toMatchObject({ code: 'INTERNAL' });
      await expect(runAt()).rejects.toThrow(/circuit breaker open .*next trial in 1000 ms/);
      clock.ms += 1000;
      await expect(runAt()).resolves.toBeDefined();
      expect(models.calls).toBe(4);
    });

    it('reopens with a new trial time when the trial finds the upstream still down', async () => {
      const { runAt, clock } = await openBreaker([fail('UNAVAILABLE')]);
      await expect(runAt()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      clock.ms += 400;
      await expect(runAt()).rejects.toThrow(/next trial in 600 ms/);
    });

    it('gives a re-applied graph fresh breakers', async () => {
      const models = scripted([fail('UNAVAILABLE'), fail('UNAVAILABLE')]);
      const { ex, seen } = executor(models);
      const first = breakerGraph();
      for (let i = 0; i < 2; i++) await expect(run(ex, first)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(run(ex, first)).rejects.toThrow(/circuit breaker open/);
      await expect(run(ex, breakerGraph())).resolves.toBeDefined();
      // The state gauge of the node follows the graph that serves now.
      expect(seen.breaker).toEqual(['open', 'closed']);
    });
  });

  it('gives each hop min(node timeout, remaining budget) and stops when the budget is spent', async () => {
    const g = graph(`
name: d
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: a }, { node: b }, { node: c }] }
  - { name: a, policy: { timeoutMs: 20 }, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
  - { name: c, model: { modelName: c } }
`);
    const slowB = new InProcessModels(async (t) => {
      if (t.modelName === 'b') await new Promise((r) => setTimeout(r, 150));
      return [fp32('input', [1])];
    });
    const { ex } = executor(slowB);
    const started = Date.now();
    await expect(run(ex, g, { budgetMs: 100 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringContaining('node "c"'),
    });
    expect(slowB.calls.map((c) => c.target.modelName)).toEqual(['a', 'b']);
    const [a, b] = slowB.calls;
    expect(a!.deadlineMs - started).toBeLessThanOrEqual(25);
    expect(b!.deadlineMs - started).toBeGreaterThan(80);
    expect(b!.deadlineMs - started).toBeLessThanOrEqual(105);
  });

  it('adds a sync detector verdict to the payload and the response, which a switch can use', async () => {
    const g = graph(`
name: det
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: od }, { node: route }] }
  - name: od
    detector: { kind: outlier, detector: iris-od, mode: sync, addVerdictToResponse: true }
  - name: route
    switch:
      cases: [{ condition: { parameter: sightline.iris-od.is_outlier, operator: eq, values: [true] }, node: fallback }]
      defaultNode: main
  - { name: main, model: { modelName: main } }
  - { name: fallback, model: { modelName: fallback } }
`);
    const result = await run(executor(echo).ex, g);
    expect(result.trail.path).toEqual(['s', 'od', 'route', 'fallback']);
    expect(result.trail.responseParameters).toEqual({
      'sightline.iris-od.is_outlier': true,
      'sightline.iris-od.score': 0.9,
    });
  });
});

describe('GraphExecutor: sync detectors beside the steps after them', () => {
  /** A detector answering when `release` is called (or failing with `fail`), and the models it let start first. */
  function gatedDetector() {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const modelsBeforeVerdict: string[] = [];
    let answered = false;
    let failure: Error | undefined;
    const detectors = {
      predict: async () => {
        await gate;
        answered = true;
        if (failure) throw failure;
        return { isOutlier: true, score: 0.9 };
      },
    };
    const models = new InProcessModels(async (target, call) => {
      if (!answered) modelsBeforeVerdict.push(target.modelName);
      // The model answers; only then may the detector: proves both were in flight at once.
      setTimeout(release, 0);
      return [fp32(`${target.modelName}_out`, Array.from(call.tensors[0]!.tensor().data as Float32Array))];
    });
    return {
      detectors,
      models,
      modelsBeforeVerdict,
      failWith: (e: Error) => {
        failure = e;
      },
    };
  }
  const detectorThenModel = (dependency: 'hard' | 'soft') =>
    graph(`
name: det
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: od }, { node: main }] }
  - name: od
    policy: { dependency: ${dependency} }
    detector: { kind: outlier, detector: iris-od, mode: sync, addVerdictToResponse: true }
  - { name: main, model: { modelName: main } }
`);

  it('overlaps a detector no later step reads and joins its verdict before the answer', async () => {
    const g = detectorThenModel('hard');
    expect([...(g.overlappedDetectors.get('s') ?? [])]).toEqual([0]);
    const d = gatedDetector();
    const { ex } = executor(d.models, { detectors: d.detectors });
    const result = await run(ex, g);
    expect(d.modelsBeforeVerdict).toEqual(['main']);
    expect(result.trail.path).toEqual(['s', 'od', 'main']);
    expect(result.trail.responseParameters).toEqual({
      'sightline.iris-od.is_outlier': true,
      'sightline.iris-od.score': 0.9,
    });
    // The sequence's output carries the verdict for any node after it, as in order.
    expect(result.payload.parameters['sightline.iris-od.is_outlier']).toBe(true);
  });

  it('still fails the call when an overlapped hard detector fails, and skips a soft one', async () => {
    const hard = gatedDetector();
    hard.failWith(new UnavailableError('detector down'));
    const { ex } = executor(hard.models, { detectors: hard.detectors });
    await expect(run(ex, detectorThenModel('hard'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('detector down'),
    });
    const soft = gatedDetector();
    soft.failWith(new UnavailableError('detector down'));
    const result = await run(
      executor(soft.models, { detectors: soft.detectors }).ex,
      detectorThenModel('soft'),
    );
    expect(result.trail.skipped).toEqual(['od']);
    expect(result.trail.responseParameters).toEqual({});
  });

  it("reports the failed hard detector's error over a later step's, as in order", async () => {
    const failing = new InProcessModels(async () => {
      throw new SightlineError('INVALID_ARGUMENT', 'model refused');
    });
    const { ex } = executor(failing, {
      detectors: {
        predict: async () => {
          // Fails after the model did: the sequence still waits for it.
          await new Promise((r) => setTimeout(r, 5));
          throw new UnavailableError('detector down');
        },
      },
    });
    await expect(run(ex, detectorThenModel('hard'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(failing.calls.map((c) => c.target.modelName)).toEqual(['main']);
  });

  it('waits for the verdict when a switch after the detector reads it', async () => {
    const g = graph(`
name: det
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: od }, { node: prep }, { node: route }] }
  - name: od
    detector: { kind: outlier, detector: iris-od, mode: sync }
  - { name: prep, model: { modelName: prep } }
  - name: route
    switch:
      cases: [{ condition: { parameter: sightline.iris-od.is_outlier, operator: eq, values: [true] }, node: fallback }]
      defaultNode: main
  - { name: main, model: { modelName: main } }
  - { name: fallback, model: { modelName: fallback } }
`);
    expect(g.overlappedDetectors.size).toBe(0);
    let answered = false;
    const seenBefore: string[] = [];
    const models = new InProcessModels(async (target, call) => {
      if (!answered) seenBefore.push(target.modelName);
      return [fp32('input', Array.from(call.tensors[0]!.tensor().data as Float32Array))];
    });
    const { ex } = executor(models, {
      detectors: {
        predict: async () => {
          await new Promise((r) => setTimeout(r, 5));
          answered = true;
          return { isOutlier: true, score: 0.9 };
        },
      },
    });
    const result = await run(ex, g);
    expect(seenBefore).toEqual([]);
    expect(result.trail.path).toEqual(['s', 'od', 'prep', 'route', 'fallback']);
  });

  it('does not overlap a detector followed by one of the same name, or an async one', async () => {
    const g = graph(`
name: det
root: s
nodes:
  - name: s
    sequence: { steps: [{ node: od }, { node: od2 }, { node: lazy }, { node: main }] }
  - { name: od, detector: { kind: outlier, detector: x, mode: sync } }
  - { name: od2, detector: { kind: drift, detector: x, mode: sync } }
  - { name: lazy, detector: { kind: outlier, detector: y, mode: async } }
  - { name: main, model: { modelName: main } }
`);
    // od is followed by od2 (same parameters); od2 overlaps; the async one never waits anyway.
    expect([...(g.overlappedDetectors.get('s') ?? [])]).toEqual([1]);
  });
});

describe('GraphExecutor: forwarding the caller bytes (one ModelInfer path)', () => {
  const encoded = { bytes: Uint8Array.of(10, 1, 103), length: 3 };
  const answerBytes = { bytes: Uint8Array.of(10, 1, 109), length: 3 };
  /** A raw request that came encoded and selects no outputs: forwardable where the graph allows. */
  const rawRequest = (extra: Partial<RoutedRequest> = {}): RoutedRequest => ({
    ...routedRequest([RoutedTensor.fromRaw('input', 'FP32', [1, 4], new Uint8Array(16))]),
    rawContents: true,
    encoded,
    ...extra,
  });
  /** Models that answer every call with one tensor and, for a forwarded call, its encoded answer. */
  const forwardingModels = () => {
    const calls: ModelCall[] = [];
    const models: ModelInferer = {
      infer: async (target, call) => {
        calls.push(call);
        return {
          modelName: target.modelName,
          modelVersion: '1',
          tensors: [fp32('out', [1])],
          parameters: {},
          encoded: call.forward ? answerBytes : undefined,
        };
      },
    };
    return { models, calls };
  };
  const runOn = (ex: GraphExecutor, g: ReturnType<typeof graph>, request: RoutedRequest) =>
    ex.run({
      graph: g,
      requestId: 'r1',
      request,
      headers: {},
      deadlineMs: Date.now() + 5000,
      cancellation: NEVER_CANCELLED,
    });
  const oneModel = graph('name: one\nroot: m\nnodes: [{ name: m, model: { modelName: a } }]');

  it("hands the root model call the caller's bytes and passes its encoded answer on", async () => {
    const { models, calls } = forwardingModels();
    const { ex } = executor(models);
    const request = rawRequest();
    expect(ex.forwardsCallerBytes(oneModel, request)).toBe(true);
    const result = await runOn(ex, oneModel, request);
    expect(calls.map((c) => c.forward)).toEqual([encoded]);
    // The request's own parameters, not a merged copy: the node has none.
    expect(calls[0]!.parameters).toBe(request.parameters);
    expect(result.payload.encoded).toBe(answerBytes);
    expect(request.tensors[0]!.isDecoded).toBe(false);
  });

  it("forwards the caller's bytes past detectors that hand the request on unchanged", async () => {
    const g = graph(`
name: det
root: s
nodes:
  - { name: s, sequence: { steps: [{ node: od }, { node: lazy }, { node: m }] } }
  - { name: od, detector: { kind: outlier, detector: iris-od, mode: sync, addVerdictToResponse: true } }
  - { name: lazy, detector: { kind: drift, detector: iris-drift, mode: async } }
  - { name: m, model: { modelName: a } }
`);
    const { models, calls } = forwardingModels();
    const { ex } = executor(models);
    const request = rawRequest();
    expect(ex.forwardsCallerBytes(g, request)).toBe(true);
    const result = await runOn(ex, g, request);
    expect(calls.map((c) => c.forward)).toEqual([encoded]);
    expect(result.payload.encoded).toBe(answerBytes);
    expect(result.trail.responseParameters).toEqual({
      'sightline.iris-od.is_outlier': true,
      'sightline.iris-od.score': 0.9,
    });
    // A detector whose verdict a later step reads gates the model: its input is no longer the request's.
    const gated = graph(`
name: gated
root: s
nodes:
  - { name: s, sequence: { steps: [{ node: od }, { node: route }] } }
  - { name: od, detector: { kind: outlier, detector: iris-od, mode: sync } }
  - name: route
    switch: { cases: [{ condition: { parameter: sightline.iris-od.is_outlier, operator: eq, values: [true] }, node: m }], defaultNode: m }
  - { name: m, model: { modelName: a } }
`);
    expect(ex.forwardsCallerBytes(gated, request)).toBe(false);
  });

  it('encodes the calls of a request that falls off the rule, at the root or mid-graph', async () => {
    const withParameters = graph(
      'name: p\nroot: m\nnodes: [{ name: m, model: { modelName: a, parameters: { tag: x } } }]',
    );
    const withOutputs = graph(
      'name: o\nroot: m\nnodes: [{ name: m, model: { modelName: a, outputs: [y] } }]',
    );
    const sequence = graph(`
name: s
root: seq
nodes:
  - { name: seq, sequence: { steps: [{ node: a }, { node: b, input: request }] } }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
`);
    const shadow = graph(`
name: sh
root: sh
nodes:
  - { name: sh, shadow: { primary: p, mirrors: [m] } }
  - { name: p, model: { modelName: p } }
  - { name: m, model: { modelName: m } }
`);
    const cases: [string, ReturnType<typeof graph>, RoutedRequest, boolean][] = [
      ['typed contents', oneModel, rawRequest({ rawContents: false }), true],
      ['selected outputs', oneModel, rawRequest({ outputs: ['out'] }), true],
      ['not encoded', oneModel, rawRequest({ encoded: undefined }), true],
      ['node parameters', withParameters, rawRequest(), true],
      ['node outputs', withOutputs, rawRequest(), true],
      ['a sequence root', sequence, rawRequest(), true],
      ['a shadow root', shadow, rawRequest(), true],
      ['forwarding off', oneModel, rawRequest(), false],
    ];
    for (const [label, g, request, forwarding] of cases) {
      const { models, calls } = forwardingModels();
      const { ex } = executor(models, { forwardCallerBytes: forwarding });
      expect(ex.forwardsCallerBytes(g, request), label).toBe(false);
      const result = await runOn(ex, g, request);
      // Mirrors start after the answer: let them run too.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls.length, label).toBeGreaterThan(0);
      expect(
        calls.map((c) => c.forward),
        label,
      ).toEqual(calls.map(() => undefined));
      expect(result.payload.encoded, label).toBeUndefined();
    }
  });
});

describe('requested outputs with model-server parameters', () => {
  const classified = (): RoutedRequest => ({
    ...routedRequest([fp32('input', [1, 2, 3, 4])]),
    outputs: ['m_out'],
    outputParameters: { m_out: { classification: 2n } },
  });

  it('sends them to the last step only, even when an earlier step calls the same model', async () => {
    const models = new InProcessModels(async (target) => [fp32(`${target.modelName}_out`, [0.1, 0.9])]);
    const { ex } = executor(models);
    const g = graph(`
name: twice
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: m }, { node: m }] }
  - { name: m, model: { modelName: m } }
`);
    await ex.run({
      graph: g,
      requestId: 'r1',
      request: classified(),
      headers: {},
      deadlineMs: Date.now() + 5000,
      cancellation: NEVER_CANCELLED,
    });
    expect(models.calls.map((c) => [c.call.outputs, c.call.outputParameters])).toEqual([
      [[], undefined],
      [['m_out'], { m_out: { classification: 2n } }],
    ]);
  });

  it('fails the request (UNAVAILABLE) when the node that would apply them was soft and skipped', async () => {
    const models = new InProcessModels(async (target, call) => {
      if (target.modelName === 'm') throw new UnavailableError('down');
      return [fp32(`${target.modelName}_out`, Array.from(call.tensors[0]!.tensor().data as Float32Array))];
    });
    const { ex } = executor(models);
    const g = graph(`
name: soft-last
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: first }, { node: m }] }
  - { name: first, model: { modelName: first } }
  - { name: m, policy: { dependency: soft }, model: { modelName: m } }
`);
    await expect(
      ex.run({
        graph: g,
        requestId: 'r1',
        request: classified(),
        headers: {},
        deadlineMs: Date.now() + 5000,
        cancellation: NEVER_CANCELLED,
      }),
    ).rejects.toThrow(
      'output "m_out": parameter "classification" was not applied: the node that answers failed and was skipped (soft: "m")',
    );
  });
});
