/**
 * The MetricsStore contract, run against both backends: SQLite in a temp directory and a real
 * PostgreSQL 15 started for this file on loopback (a fresh database per test).
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JoinedPair } from '../../src/domain/records.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { feedback, label, prediction } from '../helpers/records.js';
import { BACKENDS, newStoreLocation, type StoreLocation } from '../helpers/store-backends.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const NOW = 10_000;
const ALL_TIME = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };

/** Every pair of a series, through the pages. */
async function allPairs(store: MetricsStore, modelName: string, pageSize = 1_000): Promise<JoinedPair[]> {
  const out: JoinedPair[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.joinedPairs({ modelName, ...ALL_TIME, pageSize, ...(cursor ? { cursor } : {}) });
    out.push(...page.pairs);
    cursor = page.next;
  } while (cursor);
  return out;
}

const truthsOf = (pairs: readonly JoinedPair[]) =>
  pairs.map((p) => `${p.eventId}/${p.prediction.row}=${JSON.stringify(p.truth)}`);

describe.each(BACKENDS)('MetricsStore on %s', (backend) => {
  let location: StoreLocation;
  let store: MetricsStore;
  const open = async (limits?: Parameters<StoreLocation['open']>[0]) => {
    location = await newStoreLocation(backend, () => postgres);
    store = await location.open(limits);
    return store;
  };
  afterEach(async () => {
    await store?.close();
    await location?.cleanup();
  });

  it('joins a prediction with feedback that arrives after it', async () => {
    await open();
    const recorded = await store.recordPredictions([prediction('e1', 'r1', { rowCount: 2 })], NOW);
    expect(recorded).toMatchObject({ recorded: 1, duplicates: 0, rejected: [], pairs: [] });
    const result = await store.recordFeedback([feedback('r1', label('versicolor'), { row: 1 })], NOW + 1);
    expect(result.rejected).toEqual([]);
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]!.status).toBe('joined');
    expect(result.outcomes[0]!.pairs).toEqual([
      {
        series: { modelName: 'iris', modelVersion: '1', node: '' },
        eventId: 'e1',
        requestId: 'r1',
        predictionMs: 1_000,
        joinedMs: NOW + 1,
        task: 'classification',
        classes: ['setosa', 'versicolor', 'virginica'],
        prediction: {
          row: 1,
          label: 'setosa',
          probabilities: [0.8, 0.15, 0.05],
          segments: { country: 'fr' },
        },
        truth: { kind: 'label', label: 'versicolor' },
      },
    ]);
    expect(await allPairs(store, 'iris')).toEqual(result.outcomes[0]!.pairs);
  });

  it('holds feedback that arrives first and joins it when the prediction comes', async () => {
    await open();
    const early = await store.recordFeedback([feedback('r1', { kind: 'value', values: [2.5] })], NOW);
    expect(early.outcomes[0]!.status).toBe('pending');
    expect(await store.pendingCount()).toBe(1);
    const recorded = await store.recordPredictions(
      [prediction('e1', 'r1', { task: 'regression', classes: [], timeMs: 2_000 })],
      NOW + 5,
    );
    expect(recorded.pairs).toHaveLength(1);
    expect(recorded.pairs[0]).toMatchObject({
      eventId: 'e1',
      joinedMs: NOW + 5,
      truth: { kind: 'value', values: [2.5] },
    });
    expect(await store.pendingCount()).toBe(0);
    expect(await allPairs(store, 'iris')).toEqual(recorded.pairs);
  });

  it('counts a redelivered event and changes nothing', async () => {
    await open();
    await store.recordFeedback([feedback('r1', label('setosa'))], NOW);
    const first = await store.recordPredictions([prediction('e1', 'r1')], NOW);
    const again = await store.recordPredictions(
      [prediction('e1', 'r1', { modelVersion: '2' }), prediction('e1', 'r1')],
      NOW + 100,
    );
    expect(first.pairs).toHaveLength(1);
    expect(again).toEqual({
      recorded: 0,
      duplicates: 2,
      rejected: [],
      statuses: ['duplicate', 'duplicate'],
      pairs: [],
    });
    const pairs = await allPairs(store, 'iris');
    expect(pairs).toEqual(first.pairs);
    expect(await store.counts({ modelName: 'iris', ...ALL_TIME })).toMatchObject({
      predictedRows: 1,
      joinedRows: 1,
    });
  });

  it('leaves the same feedback again unchanged, and replaces a different one returning both truths', async () => {
    await open();
    await store.recordPredictions(
      [prediction('e1', 'r1'), prediction('e2', 'r1', { modelName: 'shadow' })],
      NOW,
    );
    const first = await store.recordFeedback([feedback('r1', label('setosa'))], NOW + 1);
    expect(first.outcomes[0]!.pairs).toHaveLength(2);
    const same = await store.recordFeedback(
      [feedback('r1', label('setosa'), { receivedMs: 9_999 })],
      NOW + 2,
    );
    expect(same.outcomes).toEqual([{ status: 'unchanged', pairs: [], replaced: [] }]);
    const changed = await store.recordFeedback([feedback('r1', label('virginica'))], NOW + 3);
    const outcome = changed.outcomes[0]!;
    expect(outcome.status).toBe('replaced');
    expect(outcome.pairs).toEqual([]);
    expect(
      outcome.replaced.map((r) => [r.before.eventId, r.before.truth, r.after.truth, r.after.joinedMs]),
    ).toEqual([
      ['e1', label('setosa'), label('virginica'), NOW + 3],
      ['e2', label('setosa'), label('virginica'), NOW + 3],
    ]);
    expect((await allPairs(store, 'iris')).map((p) => p.truth)).toEqual([label('virginica')]);
    expect((await allPairs(store, 'shadow')).map((p) => p.truth)).toEqual([label('virginica')]);
  });

  it("joins '' feedback with every prediction of the request and named feedback only with its model or node", async () => {
    await open();
    await store.recordPredictions(
      [
        prediction('live', 'r1', { modelName: 'iris' }),
        prediction('shadow', 'r1', { modelName: 'iris-next' }),
        prediction('in-graph', 'r1', { modelName: 'scorer', node: 'step-2', graph: 'g' }),
      ],
      NOW,
    );
    const named = await store.recordFeedback(
      [feedback('r1', label('versicolor'), { modelName: 'iris-next' })],
      NOW,
    );
    expect(named.outcomes[0]!.pairs.map((p) => p.eventId)).toEqual(['shadow']);
    const byNode = await store.recordFeedback(
      [feedback('r1', label('virginica'), { modelName: 'step-2' })],
      NOW,
    );
    expect(byNode.outcomes[0]!.pairs.map((p) => p.eventId)).toEqual(['in-graph']);
    const unnamed = await store.recordFeedback([feedback('r1', label('setosa'))], NOW);
    // '' judges only the rows no named feedback judges already.
    expect(unnamed.outcomes[0]).toMatchObject({ status: 'joined', replaced: [] });
    expect(unnamed.outcomes[0]!.pairs.map((p) => p.eventId)).toEqual(['live']);
    const unknown = await store.recordFeedback(
      [feedback('r1', label('setosa'), { modelName: 'other' })],
      NOW,
    );
    expect(unknown.outcomes[0]!.status).toBe('pending');
  });

  it("lets named feedback take over a pair '' feedback judged, whichever arrives first", async () => {
    await open();
    await store.recordPredictions([prediction('e1', 'r1')], NOW);
    await store.recordFeedback([feedback('r1', label('setosa'))], NOW);
    const named = await store.recordFeedback(
      [feedback('r1', label('virginica'), { modelName: 'iris' })],
      NOW + 1,
    );
    expect(named.outcomes[0]!.status).toBe('joined');
    expect(named.outcomes[0]!.replaced.map((r) => [r.before.truth, r.after.truth])).toEqual([
      [label('setosa'), label('virginica')],
    ]);
    // Replacing the '' feedback now changes no pair: the named one judges the row.
    const unnamedAgain = await store.recordFeedback([feedback('r1', label('versicolor'))], NOW + 2);
    expect(unnamedAgain.outcomes[0]).toEqual({ status: 'replaced', pairs: [], replaced: [] });
    expect((await allPairs(store, 'iris')).map((p) => p.truth)).toEqual([label('virginica')]);
  });

  it('joins a shadow prediction that arrives after the feedback already joined the live one', async () => {
    await open();
    await store.recordPredictions([prediction('live', 'r1')], NOW);
    await store.recordFeedback([feedback('r1', label('virginica'))], NOW);
    const late = await store.recordPredictions(
      [prediction('late', 'r1', { modelName: 'iris-shadow' })],
      NOW + 50,
    );
    expect(late.pairs.map((p) => [p.eventId, p.truth])).toEqual([['late', label('virginica')]]);
  });

  it('rejects a row past the prediction’s rows alone, naming the field and the rule', async () => {
    await open();
    await store.recordPredictions([prediction('e1', 'r1', { rowCount: 2 })], NOW);
    const result = await store.recordFeedback(
      [
        feedback('r1', label('setosa'), { row: 2 }),
        feedback('r1', label('setosa'), { row: 1 }),
        feedback('', label('setosa')),
        feedback('r2', { kind: 'reward', reward: Number.NaN }),
      ],
      NOW,
    );
    expect(result.outcomes.map((o) => o.status)).toEqual(['rejected', 'joined', 'rejected', 'rejected']);
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
      [0, 'row'],
      [2, 'requestId'],
      [3, 'truth.reward'],
    ]);
    expect(result.rejected[0]!.message).toBe(
      'row: must name a row of the prediction of request "r1" (it has 2 rows), got 2.',
    );
    expect(await store.pendingCount()).toBe(0);
  });

  it('refuses a prediction that breaks a rule alone, and a call over the item limit whole', async () => {
    await open({ maxItemsPerCall: 3, maxRowsPerPrediction: 4 });
    const result = await store.recordPredictions(
      [
        prediction('e1', 'r1', { rowCount: 5 }),
        prediction('e2', 'r2', { timeMs: -1 }),
        prediction('e3', 'r3'),
      ],
      NOW,
    );
    expect(result.recorded).toBe(1);
    expect(result.statuses).toEqual(['rejected', 'rejected', 'recorded']);
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
      [0, 'rows'],
      [1, 'timeMs'],
    ]);
    const four = [1, 2, 3, 4].map((i) => feedback(`r${i}`, label('a')));
    await expect(store.recordFeedback(four, NOW)).rejects.toThrow(
      'feedback: at most 3 items per call, got 4.',
    );
  });

  it('expires feedback that never joined within its time-to-live, by model name', async () => {
    await open({ retentionBatchSize: 2 });
    await store.recordPredictions([prediction('e1', 'r1')], NOW);
    await store.recordFeedback(
      [
        feedback('r1', label('setosa'), { receivedMs: 1_000 }),
        feedback('r2', label('setosa'), { receivedMs: 1_000 }),
        feedback('r3', label('setosa'), { receivedMs: 1_000, modelName: 'iris' }),
        feedback('r4', label('setosa'), { receivedMs: 1_000, modelName: 'iris' }),
        feedback('r5', label('setosa'), { receivedMs: 1_000, modelName: 'iris' }),
        feedback('r6', label('setosa'), { receivedMs: 8_000, modelName: 'iris' }),
      ],
      NOW,
    );
    expect(await store.pendingCount()).toBe(5);
    expect(await store.unnamedFeedbackCounts()).toEqual({ pending: 1, expired: 0 });
    const expired = await store.expirePending(NOW, 5_000);
    expect(expired).toEqual({ expired: 4, byModelName: { '': 1, iris: 3 } });
    expect(await store.pendingCount()).toBe(1);
    expect(await store.expirePending(NOW, 5_000)).toEqual({ expired: 0, byModelName: {} });
    expect(await store.unnamedFeedbackCounts()).toEqual({ pending: 0, expired: 1 });
    const counts = await store.counts({ modelName: 'iris', ...ALL_TIME });
    expect(counts).toEqual({
      predictedRows: 1,
      joinedRows: 1,
      rowsWithoutFeedback: 0,
      feedbackRows: 1,
      pending: 1,
      expired: 3,
    });
    // The joined feedback stays: a shadow prediction arriving now still joins it.
    const late = await store.recordPredictions([prediction('e2', 'r1', { modelName: 'iris-shadow' })], NOW);
    expect(late.pairs).toHaveLength(1);
  });

  it('pages a series completely and in prediction-time order, filtered by version and node', async () => {
    await open({ maxPageSize: 100 });
    const predictions = Array.from({ length: 120 }, (_, i) =>
      prediction(`e${String(i).padStart(3, '0')}`, `r${i}`, {
        timeMs: 1_000 + ((i * 37) % 60),
        modelVersion: i % 3 === 0 ? '2' : '1',
        node: i % 4 === 0 ? 'n' : '',
        rowCount: 2,
      }),
    );
    await store.recordPredictions(predictions, NOW);
    await store.recordPredictions([prediction('other', 'r0', { modelName: 'other' })], NOW);
    const items = predictions.flatMap((p) =>
      [0, 1].map((row) => feedback(p.requestId, label('setosa'), { row })),
    );
    const result = await store.recordFeedback(items, NOW);
    expect(result.outcomes.every((o) => o.status === 'joined')).toBe(true);

    const pages = await allPairs(store, 'iris', 7);
    expect(pages).toHaveLength(240);
    const order = pages.map((p) => [p.predictionMs, p.eventId, p.prediction.row] as const);
    const sorted = [...order].sort((a, b) =>
      a[0] !== b[0] ? a[0] - b[0] : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[2] - b[2],
    );
    expect(order).toEqual(sorted);
    expect(new Set(order.map((o) => `${o[1]}/${o[2]}`)).size).toBe(240);

    const v2 = await store.joinedPairs({ modelName: 'iris', modelVersion: '2', ...ALL_TIME });
    expect(v2.pairs).toHaveLength(2 * 40);
    expect(v2.next).toBeUndefined();
    const nodeV1 = await store.joinedPairs({ modelName: 'iris', modelVersion: '1', node: 'n', ...ALL_TIME });
    expect(nodeV1.pairs.every((p) => p.series.modelVersion === '1' && p.series.node === 'n')).toBe(true);
    expect(nodeV1.pairs).toHaveLength(2 * predictions.filter((_, i) => i % 3 !== 0 && i % 4 === 0).length);
    const ranged = await store.joinedPairs({ modelName: 'iris', fromMs: 1_010, toMs: 1_020 });
    expect(ranged.pairs.every((p) => p.predictionMs >= 1_010 && p.predictionMs < 1_020)).toBe(true);
    expect(ranged.pairs).toHaveLength(
      pages.filter((p) => p.predictionMs >= 1_010 && p.predictionMs < 1_020).length,
    );
    // The default page is bounded by maxPageSize.
    const first = await store.joinedPairs({ modelName: 'iris', ...ALL_TIME });
    expect(first.pairs).toHaveLength(100);
    await expect(store.joinedPairs({ modelName: 'iris', ...ALL_TIME, cursor: 'nonsense' })).rejects.toThrow(
      'cursor: must be the `next` value of a previous page.',
    );
  });

  it('counts predicted, joined and unjudged rows per series and range', async () => {
    await open();
    await store.recordPredictions(
      [
        prediction('e1', 'r1', { rowCount: 3, timeMs: 100 }),
        prediction('e2', 'r2', { rowCount: 2, timeMs: 200, modelVersion: '2' }),
        prediction('e3', 'r3', { rowCount: 4, timeMs: 300 }),
      ],
      NOW,
    );
    await store.recordFeedback(
      [
        feedback('r1', label('a'), { row: 0, modelName: 'iris', receivedMs: 150 }),
        feedback('r1', label('a'), { row: 2, receivedMs: 150 }),
        feedback('r2', label('a'), { row: 1, modelName: 'iris', receivedMs: 250 }),
      ],
      NOW,
    );
    expect(await store.counts({ modelName: 'iris', fromMs: 0, toMs: 250 })).toEqual({
      predictedRows: 5,
      joinedRows: 3,
      rowsWithoutFeedback: 2,
      feedbackRows: 1,
      pending: 0,
      expired: 0,
    });
    expect(
      await store.counts({ modelName: 'iris', modelVersion: '1', fromMs: 0, toMs: 1_000 }),
    ).toMatchObject({
      predictedRows: 7,
      joinedRows: 2,
      rowsWithoutFeedback: 5,
    });
    expect(await store.counts({ modelName: 'unknown', ...ALL_TIME })).toEqual({
      predictedRows: 0,
      joinedRows: 0,
      rowsWithoutFeedback: 0,
      feedbackRows: 0,
      pending: 0,
      expired: 0,
    });
  });

  it('upserts summaries per series and bucket and reads a range in bucket order', async () => {
    await open();
    await store.putSummaries([
      { seriesKey: 'iris|1', bucketStartMs: 2_000, summary: '{"n":2}' },
      { seriesKey: 'iris|1', bucketStartMs: 1_000, summary: '{"n":1}' },
      { seriesKey: 'iris|2', bucketStartMs: 1_000, summary: '{"n":9}' },
    ]);
    await store.putSummaries([{ seriesKey: 'iris|1', bucketStartMs: 2_000, summary: '{"n":3}' }]);
    expect(await store.summaries('iris|1', 0, 10_000)).toEqual([
      { seriesKey: 'iris|1', bucketStartMs: 1_000, summary: '{"n":1}' },
      { seriesKey: 'iris|1', bucketStartMs: 2_000, summary: '{"n":3}' },
    ]);
    expect(await store.summaries('iris|1', 1_500, 2_000)).toEqual([]);
    await expect(store.putSummaries([{ seriesKey: 'x', bucketStartMs: 0, summary: '{' }])).rejects.toThrow(
      'summaries[0].summary: must be valid JSON',
    );
  });

  it('keeps documents per collection: put, get, list in pages, delete', async () => {
    await open();
    for (const id of ['b', 'a', 'c', 'd', 'e']) await store.putDocument('rules', id, JSON.stringify({ id }));
    await store.putDocument('states', 'a', '{"firing":true}');
    await store.putDocument('rules', 'a', '{"id":"a","v":2}');
    expect(await store.getDocument('rules', 'a')).toBe('{"id":"a","v":2}');
    expect(await store.getDocument('rules', 'zz')).toBeUndefined();
    const first = await store.listDocuments('rules', { pageSize: 2 });
    expect(first.documents.map((d) => d.id)).toEqual(['a', 'b']);
    const second = await store.listDocuments('rules', { pageSize: 2, after: first.next! });
    expect(second.documents.map((d) => d.id)).toEqual(['c', 'd']);
    const last = await store.listDocuments('rules', { pageSize: 2, after: second.next! });
    expect(last).toEqual({ documents: [{ id: 'e', json: '{"id":"e"}' }] });
    expect(await store.deleteDocument('rules', 'c')).toBe(true);
    expect(await store.deleteDocument('rules', 'c')).toBe(false);
    expect((await store.listDocuments('rules')).documents.map((d) => d.id)).toEqual(['a', 'b', 'd', 'e']);
    expect((await store.listDocuments('states')).documents).toEqual([{ id: 'a', json: '{"firing":true}' }]);
    await expect(store.putDocument('rules', '', '{}')).rejects.toThrow('id: must be a non-empty string');
  });

  it('removes what is older than the retention time in small batches and keeps the rest', async () => {
    await open({ retentionBatchSize: 3 });
    const old = Array.from({ length: 10 }, (_, i) => prediction(`old${i}`, `o${i}`, { timeMs: 100 + i }));
    const recent = Array.from({ length: 4 }, (_, i) => prediction(`new${i}`, `n${i}`, { timeMs: 5_000 + i }));
    await store.recordPredictions([...old, ...recent], NOW);
    await store.recordFeedback(
      [...old, ...recent].map((p) =>
        feedback(p.requestId, label('a'), { receivedMs: p.timeMs + 10, observedMs: p.timeMs + 10 }),
      ),
      NOW,
    );
    await store.recordFeedback([feedback('never', label('a'), { receivedMs: 50 })], NOW);
    await store.putSummaries([
      { seriesKey: 's', bucketStartMs: 0, summary: '{}' },
      { seriesKey: 's', bucketStartMs: 6_000, summary: '{}' },
    ]);
    const removed = await store.deleteBefore(1_000);
    expect(removed).toEqual({ predictions: 10, pairs: 10, feedback: 11, summaries: 1 });
    expect((await allPairs(store, 'iris')).map((p) => p.eventId)).toEqual(['new0', 'new1', 'new2', 'new3']);
    expect(await store.counts({ modelName: 'iris', ...ALL_TIME })).toMatchObject({
      predictedRows: 4,
      joinedRows: 4,
    });
    expect(await store.pendingCount()).toBe(0);
    expect(await store.summaries('s', 0, 10_000)).toHaveLength(1);
    expect(await store.deleteBefore(1_000)).toEqual({ predictions: 0, pairs: 0, feedback: 0, summaries: 0 });
  });

  it('keeps everything across close and reopen', async () => {
    await open();
    await store.recordPredictions([prediction('e1', 'r1', { latencyMs: 3.5 })], NOW);
    await store.recordFeedback([feedback('r1', label('virginica')), feedback('r9', label('a'))], NOW);
    const before = await allPairs(store, 'iris');
    await store.close();
    store = await location.open();
    expect(await allPairs(store, 'iris')).toEqual(before);
    expect(await store.pendingCount()).toBe(1);
    expect((await store.recordPredictions([prediction('e1', 'r1')], NOW)).duplicates).toBe(1);
    expect(truthsOf(before)).toEqual(['e1/0={"kind":"label","label":"virginica"}']);
  });

  it('refuses a store whose schema is newer than this build, saying so', async () => {
    await open();
    await store.close();
    await location.setSchemaVersion(99);
    await expect(location.open()).rejects.toThrow(/schema version 99 is newer than this build's 1/);
  });

  it('fails calls after close', async () => {
    await open();
    await store.close();
    await expect(store.pendingCount()).rejects.toThrow('metrics store: used after close().');
  });
});

describe('MetricsStore on sqlite only', () => {
  it('refuses a file that is not a SQLite database, naming it', async () => {
    const location = await newStoreLocation('sqlite', () => postgres);
    try {
      await writeFile(
        location.address,
        'not a database, just text that is long enough to fill a header page',
      );
      await expect(location.open()).rejects.toThrow(
        `metrics store "${location.address}": cannot be opened as a SQLite database (SQLITE_NOTADB)`,
      );
    } finally {
      await location.cleanup();
    }
  });
});

describe.each(BACKENDS)('the contract refutation rule on %s', (backend) => {
  it('rejects a truth its prediction refutes, and holds it when the prediction comes later', async () => {
    const location = await newStoreLocation(backend, () => postgres);
    const file = backend === 'sqlite' ? location.address : undefined;
    const store =
      file === undefined
        ? await PostgresMetricsStore.open({ connectionString: location.address })
        : await SqliteMetricsStore.open({ file });
    try {
      await store.recordPredictions(
        [
          prediction('e1', 'r1'),
          {
            ...prediction('e2', 'r2', { task: 'regression', classes: [] }),
            rows: [{ row: 0, values: [1, 2] }],
          },
        ],
        1_000,
      );
      const result = await store.recordFeedback(
        [
          feedback('r1', label('daisy')),
          feedback('r1', { kind: 'value', values: [1] }, { row: 0, modelName: 'iris' }),
          feedback('r2', label('setosa')),
          feedback('r2', { kind: 'value', values: [1] }),
          feedback('r2', { kind: 'reward', reward: 1 }, { modelName: 'iris' }),
          feedback('r1', label('versicolor'), { modelName: 'iris', row: 0, observedMs: 6_000 }),
        ],
        5_000,
      );
      expect(result.outcomes.map((o) => o.status)).toEqual([
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'joined',
        'joined',
      ]);
      expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
        [0, 'label'],
        [1, 'values'],
        [2, 'label'],
        [3, 'values'],
      ]);
      expect(result.rejected[0]?.message).toMatch(
        /^label: must be one of the classes of the prediction of request "r1".*got "daisy"/,
      );
      expect(result.rejected[3]?.message).toMatch(/^values: must hold 2 values/);
      // Held first, refuted by the prediction that comes: it joins nothing and stays held.
      await store.recordFeedback([feedback('r3', label('tulip'))], 5_000);
      const later = await store.recordPredictions([prediction('e3', 'r3')], 6_000);
      expect(later.pairs).toEqual([]);
      expect(await store.pendingCount()).toBe(1);
    } finally {
      await store.close();
      await location.cleanup();
    }
  });
});
