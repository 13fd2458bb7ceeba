import { Worker } from 'node:worker_threads';
import { DriftKinds, tableFromTensors } from '@sightline/detect';
import { referenceKernels } from '@sightline/detect/testing';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScoringPool } from './scoring-pool.js';
import { sharedState, type ToScoringThread } from './scoring-protocol.js';

const kinds = new DriftKinds(referenceKernels);

function table(rows: number, seed: number) {
  const data = Float64Array.from({ length: rows * 2 }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000);
  return tableFromTensors([{ name: 'x', shape: [rows, 2], data, datatype: 'FP64' }], {
    columnNames: ['a', 'b'],
  });
}

describe('ScoringPool', () => {
  let pool: ScoringPool | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await pool?.close(0);
  });

  it('sends a version to a thread once, again only after its eviction, and scores as the kind does', async () => {
    const sent: ToScoringThread[] = [];
    const post = Worker.prototype.postMessage;
    vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, message, transfer) {
      sent.push(message as ToScoringThread);
      return post.call(this, message, transfer);
    });
    pool = await ScoringPool.start({
      threads: 1,
      maxPending: 4,
      kernels: { module: '@sightline/detect/testing', exportName: 'referenceKernels' },
      logger: silentLogger(),
    });
    const state = sharedState(kinds.get('ks').fit(table(50, 1)));
    const request = (seed: number) => ({
      key: 'ks\u00001\u00001',
      kind: 'ks',
      state,
      table: table(20, seed),
      label: 'ks',
    });
    for (const seed of [2, 3]) {
      expect(await pool.score(request(seed))).toEqual(kinds.get('ks').score(state, table(20, seed)));
    }
    pool.evict('ks\u00001\u00001');
    await pool.score(request(4));
    await pool.score(request(5));
    const scores = sent.filter((m) => m.type === 'score');
    expect(scores.map((m) => [m.fitted !== undefined, m.keep ?? true])).toEqual([
      [true, true],
      [false, true],
      // Evicted: a late score of the old version takes its state along and is not kept.
      [true, false],
      [true, false],
    ]);
    expect(sent.filter((m) => m.type === 'evict')).toHaveLength(1);
    // Shared memory: posting the state shares its arrays with the thread, no copy.
    expect(Object.values(state.arrays).every((a) => a.buffer instanceof SharedArrayBuffer)).toBe(true);
  });
});
