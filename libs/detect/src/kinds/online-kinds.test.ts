import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATS_KERNELS } from '../kernels.js';
import { OnlineStates } from '../live/online-states.js';
import { DetectorStore } from '../store/detector-store.js';
import { referenceDigest } from '../store/saved-format.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { seededUniform } from '../testing/reference-kernels.js';
import { DriftKinds } from './drift-kinds.js';

const kinds = new DriftKinds(STATS_KERNELS, { drawSeed: () => 42 });

function table(n: number, seed: number, shift = 0) {
  const u = seededUniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const data = Array.from({ length: n * 2 }, (_, i) => normal() + (i % 2 === 0 ? shift : 0));
  return tableFromTensors([{ name: 'x', shape: [n, 2], data }], { columnNames: ['a', 'b'] });
}

describe.each([
  ['online-mmd', { ert: 100, windowSize: 10, nBootstraps: 2000 }],
  ['online-cvm', { ert: 100, windowSizes: [5, 10], nBootstraps: 2000 }],
] as const)('%s', (kindName, params) => {
  const kind = kinds.get(kindName);
  const reference = table(200, 1);
  const state = kind.fit(reference, params);

  it('saves its parameters with defaults and the drawn seed, and its thresholds in the state', () => {
    expect(state.params).toMatchObject({ ...params, seed: 42 });
    expect((state.json.online as { thresholds: unknown[] }).thresholds.length).toBeGreaterThan(0);
    expect(state.arrays.reference).toHaveLength(400);
  });

  it('keeps a running window per detector: a 1-sd shift is detected, reset starts again at t = 0', () => {
    const states = new OnlineStates(STATS_KERNELS);
    const quiet = states.predict('d', 1, state, table(5, 2));
    expect(quiet.online?.time).toBe(5);
    expect(quiet.online?.steps).toHaveLength(5);
    const shifted = states.predict('d', 1, state, table(60, 3, 1));
    expect(shifted.overall.drift).toBe(true);
    expect(shifted.online!.driftTime).toBeGreaterThan(5);
    expect(shifted.online!.driftTime).toBeLessThanOrEqual(65);
    expect(states.time('d', 1)).toBe(65);
    // Score leaves the window alone.
    const scored = states.score('d', 1, state, table(3, 4));
    expect(scored.online?.steps.map((s) => s.time)).toEqual([66, 66, 66]);
    expect(states.time('d', 1)).toBe(65);
    states.reset('d', 1, state);
    expect(states.time('d', 1)).toBe(0);
    // A new version starts its own window.
    states.predict('d', 1, state, table(4, 5));
    expect(states.time('d', 2)).toBe(0);
  });

  it('a checkpoint restores the window to equal verdicts; a refitted detector is dropped', () => {
    const a = new OnlineStates(STATS_KERNELS);
    a.predict('d', 1, state, table(12, 6, 0.5));
    a.predict('e', 1, state, table(3, 6));
    const checkpoint = JSON.parse(JSON.stringify(a.checkpoint()));
    const b = new OnlineStates(STATS_KERNELS);
    const outcome = b.restore(checkpoint, (name) => ({ version: name === 'd' ? 1 : 2, state }));
    expect(outcome.restored).toEqual(['d']);
    expect(outcome.dropped.map((d) => d.name)).toEqual(['e']);
    const next = table(8, 7, 0.5);
    expect(b.predict('d', 1, state, next).online).toEqual(a.predict('d', 1, state, next).online);
  });

  it('a fitted version is saved and loaded by the DetectorStore like any other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'online-store-'));
    try {
      const store = new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' });
      await store.load();
      await store.save('d', { state, referenceSha256: referenceDigest(reference) });
      const reopened = new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' });
      await reopened.load();
      const saved = await reopened.get('d');
      const rows = table(20, 8, 1);
      expect(kind.score(saved.state, rows).online).toEqual(kind.score(state, rows).online);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('online kinds refuse', () => {
  const reference = table(30, 1);
  it.each([
    [
      'no ert',
      () => kinds.get('online-mmd').fit(reference, { windowSize: 5 }),
      'parameter "ert" is required',
    ],
    [
      'ert <= 1',
      () => kinds.get('online-cvm').fit(reference, { ert: 0, windowSizes: [3] }),
      'parameter "ert" must be in (1, inf)',
    ],
    [
      'a window too large for the reference, stating the minimum',
      () => kinds.get('online-mmd').fit(reference, { ert: 10, windowSize: 15 }),
      'needs a reference of at least 31 rows (window below half the reference, rule "online.window_size_range"), got 30',
    ],
    [
      'an MMD window of 1',
      () => kinds.get('online-mmd').fit(reference, { ert: 10, windowSize: 1 }),
      'parameter "windowSize" must be in [2, inf)',
    ],
    [
      'no CVM windows',
      () => kinds.get('online-cvm').fit(reference, { ert: 10, windowSizes: [] }),
      'rule "online.window_size_range"',
    ],
    [
      'a CVM window size twice',
      () => kinds.get('online-cvm').fit(reference, { ert: 10, windowSizes: [5, 5, 10] }),
      'parameter "windowSizes" must be 1 to 16 different integers',
    ],
    [
      'a parameter of another kind',
      () => kinds.get('online-cvm').fit(reference, { ert: 10, windowSizes: [3], sigma: 1 }),
      'parameter "sigma" is not a parameter',
    ],
  ])('%s', (_, fit, message) => {
    expect(fit).toThrow(message);
  });

  it('a spent deadline: DEADLINE_EXCEEDED', () => {
    expect(() =>
      kinds
        .get('online-mmd')
        .fit(reference, { ert: 10, windowSize: 3 }, { budget: { deadlineMs: Date.now() - 1 } }),
    ).toThrow(/deadline/);
  });
});
