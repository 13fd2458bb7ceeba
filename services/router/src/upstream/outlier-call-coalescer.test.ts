import { NEVER_CANCELLED, SightlineError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancellable } from '../../test/helpers/unary-call-helpers.js';
import type { CallOptions, DetectorCall, DetectorClient, DetectorVerdict } from '../engine/ports.js';
import { RoutedTensor } from '../engine/routed-tensor.js';
import {
  type CoalescedPredict,
  CoalescingDetectorClient,
  type CoalescingLimits,
  type OutlierRows,
  verdictOfRows,
} from './outlier-call-coalescer.js';

/** Lets the coalescer's end-of-turn flush run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A row's score in these tests: its first value; an outlier over 10. */
const THRESHOLD = 10;

/** Per-row verdicts of FP32 rows of `columns` values, as the service would give them. */
function scoreRows(raw: Uint8Array, columns: number): OutlierRows {
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const scores: number[] = [];
  for (let r = 0; r < values.length / columns; r++) scores.push(values[r * columns]!);
  return {
    isOutlier: scores.map((s) => s > THRESHOLD),
    instanceScore: scores,
    threshold: THRESHOLD,
    version: 3,
  };
}

function rowsTensor(rows: number[][], name = 'input'): RoutedTensor {
  const columns = rows[0]?.length ?? 0;
  const raw = new Uint8Array(Float32Array.from(rows.flat()).buffer);
  return RoutedTensor.fromRaw(name, 'FP32', [rows.length, columns], raw);
}

function outlierCall(rows: number[][], overrides: Partial<DetectorCall> = {}): DetectorCall {
  return {
    kind: 'outlier',
    address: '127.0.0.1:8002',
    detector: 'od',
    tensors: [rowsTensor(rows)],
    requestId: 'r',
    ...overrides,
  };
}

const options = (over: Partial<CallOptions> = {}): CallOptions => ({
  deadlineMs: Date.now() + 60_000,
  cancellation: NEVER_CANCELLED,
  ...over,
});

/** What the plain client gives a lone call: the same scoring over its rows. */
function plainVerdict(call: DetectorCall): DetectorVerdict {
  const tensor = call.tensors[0]!;
  const rows = scoreRows(tensor.rawBytes(), tensor.shape[1]!);
  return verdictOfRows(rows, 0, rows.isOutlier.length);
}

/**
 * A coalescer over recording fakes. The inner (plain) client answers as the service would,
 * but holds its answers while `holdInner` is set, so later calls find one in flight.
 */
function harness(limits: Partial<CoalescingLimits> = {}) {
  const shared: CoalescedPredict[] = [];
  const alone: DetectorCall[] = [];
  const observed: number[] = [];
  const held: (() => void)[] = [];
  let holdInner = true;
  let sharedAnswer: (call: CoalescedPredict) => Promise<OutlierRows> = async (call) =>
    scoreRows(Buffer.concat(call.tensors[0]!.chunks), call.tensors[0]!.shape[1]!);
  let innerAnswer: (call: DetectorCall) => Promise<DetectorVerdict> = async (call) => plainVerdict(call);
  const inner: DetectorClient = {
    predict(call) {
      alone.push(call);
      if (!holdInner) return innerAnswer(call);
      return new Promise((resolve, reject) => held.push(() => innerAnswer(call).then(resolve, reject)));
    },
  };
  const client = new CoalescingDetectorClient(
    inner,
    {
      predictRows: (call) => {
        shared.push(call);
        return sharedAnswer(call);
      },
      activeTraceHeaders: () => undefined,
    },
    { maxCalls: 64, maxBytes: 1 << 20, ...limits },
    (_detector, calls) => observed.push(calls),
  );
  return {
    client,
    shared,
    alone,
    observed,
    release() {
      holdInner = false;
      for (const go of held.splice(0)) go();
    },
    answerShared(answer: (call: CoalescedPredict) => Promise<OutlierRows>) {
      sharedAnswer = answer;
    },
    answerInner(answer: (call: DetectorCall) => Promise<DetectorVerdict>) {
      innerAnswer = answer;
    },
  };
}

describe('coalescing outlier detector calls', () => {
  it('sends a lone call at once through the plain client, waiting for no turn of the event loop', async () => {
    const h = harness();
    h.release();
    const verdict = h.client.predict(outlierCall([[12, 1]]), options());
    expect(h.alone).toHaveLength(1);
    expect(await verdict).toEqual({ isOutlier: true, score: 12, threshold: THRESHOLD, version: 3 });
    expect(h.shared).toHaveLength(0);
    expect(h.observed).toEqual([1]);
  });

  it('stacks the calls that come while one is in flight into one Predict; each gets its own rows’ verdict', async () => {
    const h = harness();
    const first = h.client.predict(outlierCall([[1, 0]]), options());
    const calls = [
      [[2, 0]],
      [
        [11, 0],
        [3, 0],
      ],
      [
        [4, 0],
        [5, 0],
        [6, 0],
      ],
      [[20, 0]],
    ].map((rows) => outlierCall(rows));
    const verdicts = Promise.all(calls.map((c) => h.client.predict(c, options())));
    await nextTurn();
    expect(h.shared).toHaveLength(1);
    const sent = h.shared[0]!;
    expect(sent.tensors).toHaveLength(1);
    expect(sent.tensors[0]!.shape).toEqual([7, 2]);
    expect(
      Array.from(new Float32Array(Uint8Array.from(Buffer.concat(sent.tensors[0]!.chunks)).buffer)),
    ).toEqual([2, 0, 11, 0, 3, 0, 4, 0, 5, 0, 6, 0, 20, 0]);
    expect(await verdicts).toEqual(calls.map(plainVerdict));
    expect((await verdicts).map((v) => v.isOutlier)).toEqual([false, true, false, true]);
    h.release();
    expect(await first).toEqual(plainVerdict(outlierCall([[1, 0]])));
    expect(h.observed).toEqual([1, 4]);
  });

  it('keeps calls apart that differ in address, detector or tensor layout, and drift calls out', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    const others = [
      outlierCall([[2, 0]]),
      outlierCall([[2, 0]], { address: '127.0.0.1:9999' }),
      outlierCall([[2, 0]], { detector: 'other' }),
      outlierCall([[2, 0, 0]]),
      outlierCall([[2, 0]], { tensors: [rowsTensor([[2, 0]], 'features')] }),
    ];
    const answered = Promise.all(others.map((c) => h.client.predict(c, options())));
    const drift = h.client.predict(outlierCall([[2, 0]], { kind: 'drift' }), options());
    await nextTurn();
    // The first joins the open (in-flight) key's batch, sent alone at the turn's end; every
    // other starts its own key and goes at once; the drift call goes straight to the plain client.
    expect(h.shared).toHaveLength(0);
    expect(
      h.alone.map((c) => `${c.kind}:${c.address}:${c.detector}:${c.tensors[0]!.name}:${c.tensors[0]!.shape}`),
    ).toEqual([
      'outlier:127.0.0.1:8002:od:input:1,2',
      'outlier:127.0.0.1:9999:od:input:1,2',
      'outlier:127.0.0.1:8002:other:input:1,2',
      'outlier:127.0.0.1:8002:od:input:1,3',
      'outlier:127.0.0.1:8002:od:features:1,2',
      'drift:127.0.0.1:8002:od:input:1,2',
      'outlier:127.0.0.1:8002:od:input:1,2',
    ]);
    h.release();
    await Promise.all([answered, drift]);
  });

  it('never stacks more than --detector-coalesce-max-calls calls or --detector-coalesce-max-bytes bytes', async () => {
    const h = harness({ maxCalls: 3, maxBytes: 64 });
    void h.client.predict(outlierCall([[1, 0]]), options());
    // 8 bytes per row: 7 calls of one row make batches of 3, 3 and 1.
    const small = Array.from({ length: 7 }, (_, i) => h.client.predict(outlierCall([[i, 0]]), options()));
    // 72 bytes: over the limit, alone.
    const large = h.client.predict(outlierCall(Array.from({ length: 9 }, () => [1, 0])), options());
    await nextTurn();
    h.release();
    await Promise.all([...small, large]);
    expect(h.shared.map((s) => s.tensors[0]!.shape[0])).toEqual([3, 3]);
    expect(h.alone.map((c) => c.tensors[0]!.shape[0])).toEqual([1, 9, 1]);
    // The large call is a Predict of 1 too: with a tiny max bytes every call shows as alone.
    expect(h.observed).toEqual([1, 3, 3, 1, 1]);
  });

  it('with max calls 1 every call goes alone through the plain client', async () => {
    const h = harness({ maxCalls: 1 });
    h.release();
    await Promise.all([
      h.client.predict(outlierCall([[1, 0]]), options()),
      h.client.predict(outlierCall([[2, 0]]), options()),
    ]);
    expect(h.alone).toHaveLength(2);
    expect(h.observed).toEqual([]);
  });

  it('keeps each call’s own deadline: an earlier one fails DEADLINE_EXCEEDED on time, the shared call runs to the latest', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    let answer!: (rows: OutlierRows) => void;
    h.answerShared(() => new Promise((resolve) => (answer = resolve)));
    const soon = Date.now() + 30;
    const late = Date.now() + 60_000;
    const early = h.client.predict(outlierCall([[2, 0]]), options({ deadlineMs: soon }));
    const patient = h.client.predict(outlierCall([[3, 0]]), options({ deadlineMs: late }));
    await nextTurn();
    expect(h.shared[0]!.deadlineMs).toBe(late);
    await expect(early).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    answer(scoreRows(new Uint8Array(Float32Array.from([2, 0, 3, 0]).buffer), 2));
    expect(await patient).toMatchObject({ score: 3 });
    h.release();
  });

  it('keeps a deadline longer than a Node timer can wait (24.8 days): no early DEADLINE_EXCEEDED', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    let answer!: (rows: OutlierRows) => void;
    h.answerShared(() => new Promise((resolve) => (answer = resolve)));
    const day = 86_400_000;
    // Both past 2^31 - 1 ms: a plain setTimeout of the earlier one would fire after 1 ms.
    const early = h.client.predict(outlierCall([[2, 0]]), options({ deadlineMs: Date.now() + 25 * day }));
    const late = h.client.predict(outlierCall([[3, 0]]), options({ deadlineMs: Date.now() + 26 * day }));
    const settledEarly: unknown[] = [];
    early.then(
      (v) => settledEarly.push(v),
      (e: unknown) => settledEarly.push(e),
    );
    await nextTurn();
    expect(h.shared).toHaveLength(1);
    // A timer queued after the send, longer than the 1 ms an overflowing timer waits.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settledEarly).toEqual([]);
    answer(scoreRows(new Uint8Array(Float32Array.from([2, 0, 3, 0]).buffer), 2));
    expect(await early).toMatchObject({ score: 2 });
    expect(await late).toMatchObject({ score: 3 });
    h.release();
  });

  it('a caller cancelling before the send leaves the batch; after the send it is answered CANCELLED at once', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    let answer!: (rows: OutlierRows) => void;
    h.answerShared(() => new Promise((resolve) => (answer = resolve)));
    const [a, b, c] = [cancellable(), cancellable(), cancellable()];
    const gone = h.client.predict(outlierCall([[2, 0]]), options({ cancellation: a.cancellation }));
    const stays = h.client.predict(outlierCall([[3, 0]]), options({ cancellation: b.cancellation }));
    const later = h.client.predict(outlierCall([[4, 0]]), options({ cancellation: c.cancellation }));
    a.cancel();
    await expect(gone).rejects.toMatchObject({ code: 'CANCELLED' });
    await nextTurn();
    expect(h.shared[0]!.tensors[0]!.shape).toEqual([2, 2]);
    c.cancel();
    await expect(later).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(h.shared[0]!.cancellation.cancelReason).toBeUndefined();
    answer(scoreRows(new Uint8Array(Float32Array.from([3, 0, 4, 0]).buffer), 2));
    expect(await stays).toMatchObject({ score: 3 });
    h.release();
  });

  it('cancels the shared call once every caller has left', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    h.answerShared(() => new Promise(() => {}));
    const [a, b] = [cancellable(), cancellable()];
    const calls = [
      h.client.predict(outlierCall([[2, 0]]), options({ cancellation: a.cancellation })),
      h.client.predict(outlierCall([[3, 0]]), options({ cancellation: b.cancellation })),
    ];
    await nextTurn();
    a.cancel();
    expect(h.shared[0]!.cancellation.cancelReason).toBeUndefined();
    b.cancel();
    expect(h.shared[0]!.cancellation.cancelReason).toBeInstanceOf(SightlineError);
    await Promise.allSettled(calls);
    h.release();
  });

  it('a shared call refused INVALID_ARGUMENT is re-sent call by call: only the bad call fails, with its own sentence', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    h.answerShared(async () => {
      throw new SightlineError('INVALID_ARGUMENT', 'tensor "input" row 1 column 0: NaN');
    });
    h.answerInner(async (call) => {
      if (Number.isNaN(new Float32Array(call.tensors[0]!.rawBytes().slice().buffer)[0])) {
        throw new SightlineError('INVALID_ARGUMENT', 'tensor "input" row 0 column 0: NaN');
      }
      return plainVerdict(call);
    });
    const good = h.client.predict(outlierCall([[2, 0]]), options());
    const bad = h.client.predict(outlierCall([[Number.NaN, 0]]), options());
    await nextTurn();
    h.release();
    expect(await good).toEqual(plainVerdict(outlierCall([[2, 0]])));
    await expect(bad).rejects.toThrow('row 0 column 0: NaN');
  });

  it('counts each call re-sent after a refused shared Predict as a Predict of 1', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    h.answerShared(async () => {
      throw new SightlineError('RESOURCE_EXHAUSTED', 'Received message larger than max (300 vs. 200)');
    });
    const calls = [
      h.client.predict(outlierCall([[2, 0]]), options()),
      h.client.predict(outlierCall([[3, 0]]), options()),
    ];
    await nextTurn();
    h.release();
    await Promise.all(calls);
    // The lone first call, the refused shared Predict, then the two sent again one by one.
    expect(h.observed).toEqual([1, 2, 1, 1]);
  });

  it('a shared call failing otherwise fails every caller with that status; a short answer is INTERNAL', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    h.answerShared(async () => {
      throw new SightlineError('UNAVAILABLE', 'connection refused');
    });
    const down = Promise.allSettled([
      h.client.predict(outlierCall([[2, 0]]), options()),
      h.client.predict(outlierCall([[3, 0]]), options()),
    ]);
    await nextTurn();
    for (const settled of await down) {
      expect(settled).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
    }
    h.answerShared(async () => ({ isOutlier: [false], instanceScore: [1] }));
    const short = Promise.allSettled([
      h.client.predict(outlierCall([[2, 0]]), options()),
      h.client.predict(outlierCall([[3, 0]]), options()),
    ]);
    await nextTurn();
    for (const settled of await short) {
      expect(settled).toMatchObject({ status: 'rejected', reason: { code: 'INTERNAL' } });
      expect(String((settled as PromiseRejectedResult).reason)).toMatch(/1 verdicts and 1 scores for 2 rows/);
    }
    h.release();
  });

  it('fails a call whose raw contents have the wrong length alone; the others are answered', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    const broken = RoutedTensor.fromRaw('input', 'FP32', [1, 2], new Uint8Array(5));
    const bad = h.client.predict(outlierCall([], { tensors: [broken] }), options());
    const good = h.client.predict(outlierCall([[2, 0]]), options());
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await nextTurn();
    h.release();
    expect(await good).toEqual(plainVerdict(outlierCall([[2, 0]])));
  });

  it('sends the first call’s trace headers and the others’ traceparents', async () => {
    const h = harness();
    void h.client.predict(outlierCall([[1, 0]]), options());
    const parent = (n: number) => `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01`;
    const calls = [1, 2, 3].map((n) =>
      h.client.predict(outlierCall([[n, 0]]), options({ traceHeaders: { traceparent: parent(n) } })),
    );
    await nextTurn();
    await Promise.all(calls);
    expect(h.shared[0]!.traceHeaders).toEqual({ traceparent: parent(1) });
    expect(h.shared[0]!.coalescedTraceparents).toEqual([parent(2), parent(3)]);
    h.release();
  });

  it('property: however rows are split into calls, each call’s verdict is the one it gets alone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: 8 }),
        async (firstColumns, maxCalls) => {
          const h = harness({ maxCalls });
          void h.client.predict(outlierCall([[0, 0]]), options());
          const calls = firstColumns.map((column) => outlierCall(column.map((v) => [v, 1])));
          const verdicts = Promise.all(calls.map((c) => h.client.predict(c, options())));
          await nextTurn();
          h.release();
          expect(await verdicts).toEqual(calls.map(plainVerdict));
        },
      ),
      { numRuns: 100 },
    );
  });
});
