/**
 * Saved drift states are checked by their kind at load (`validate`), as the outlier kinds'
 * are: a fresh fit always passes, and a version corrupted in valid JSON or in its arrays is
 * refused alone, naming what is wrong, while the older version keeps serving.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FittedDetectors } from '../fitted-detectors.js';
import { STATS_KERNELS } from '../kernels.js';
import { DetectorStore } from '../store/detector-store.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { seededUniform } from '../testing/reference-kernels.js';
import type { FittedState, JsonValue } from './detector-kind.js';
import { DRIFT_KIND_NAMES, type DriftKindName, DriftKinds } from './drift-kinds.js';
import type { DriftResult } from './drift-result.js';

const kinds = new DriftKinds(STATS_KERNELS, { drawSeed: () => 7 });

/** n rows of numeric columns and, unless `numericOnly`, a categorical colour. */
function table(n: number, seed: number, numericOnly: boolean) {
  const u = seededUniform(seed);
  const tensors = [
    { name: 'a', shape: [n], data: Array.from({ length: n }, () => u() * 10) },
    { name: 'b', shape: [n], data: Array.from({ length: n }, () => Math.round(u() * 4)) },
  ];
  if (numericOnly) return tableFromTensors(tensors, { columnNames: ['a', 'b'] });
  const colours = ['red', 'green', 'blue'];
  return tableFromTensors(
    [
      ...tensors,
      { name: 'c', shape: [n], data: Array.from({ length: n }, () => colours[Math.floor(u() * 3)]!) },
    ],
    { columnNames: ['a', 'b', 'colour'], categorical: ['colour'] },
  );
}

/** The parameters each kind needs to fit the small tables here. */
const PARAMS: Readonly<Record<DriftKindName, Record<string, unknown>>> = {
  tabular: {},
  ks: {},
  cvm: {},
  chi2: {},
  mmd: { permutations: 5 },
  lsdd: { permutations: 5 },
  quality: {},
  pca: { chunks: 4, varianceExplained: 0.5 },
  'online-mmd': { ert: 20, windowSize: 5, nBootstraps: 400 },
  'online-cvm': { ert: 20, windowSizes: [5], nBootstraps: 400 },
};
const MIXED: readonly DriftKindName[] = ['tabular', 'chi2', 'quality'];

function fitted(kind: DriftKindName, rows = 60, seed = 1): FittedState {
  return kinds.get(kind).fit(table(rows, seed, !MIXED.includes(kind)), PARAMS[kind]);
}

/** The state with `arrays[key]` replaced. */
function withArray(state: FittedState, key: string, values: Float64Array): FittedState {
  return { ...state, arrays: { ...state.arrays, [key]: values } };
}

function refusal(kind: DriftKindName, state: FittedState): string {
  try {
    kinds.get(kind).validate!(state);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`kind ${kind} accepted the corrupted state`);
}

describe('drift kinds validate their saved states', () => {
  it('every kind has a validate', () => {
    for (const name of DRIFT_KIND_NAMES) expect(kinds.get(name).validate, name).toBeTypeOf('function');
  });

  it('a fresh fit of every kind passes, whatever the data (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DRIFT_KIND_NAMES),
        fc.integer({ min: 40, max: 90 }),
        fc.integer({ min: 1, max: 1_000 }),
        (kind, rows, seed) => {
          kinds.get(kind).validate!(fitted(kind, rows, seed));
        },
      ),
      { numRuns: 40, seed: 20261204 },
    );
  });

  it('refuses a parameter out of its range, naming it', () => {
    for (const kind of DRIFT_KIND_NAMES) {
      const state = fitted(kind);
      const key = kind.startsWith('online')
        ? 'ert'
        : kind === 'pca'
          ? 'chunks'
          : kind === 'quality'
            ? 'quantileBounds'
            : 'pVal';
      expect(refusal(kind, { ...state, params: { ...state.params, [key]: -3 } }), kind).toContain(`"${key}"`);
    }
  });

  it('refuses sorted reference values out of order, or more of them than reference rows', () => {
    const state = fitted('ks');
    const sorted = state.arrays['sorted.0']!;
    expect(refusal('ks', withArray(state, 'sorted.0', sorted.slice().reverse()))).toMatch(
      /"a".*out of order/,
    );
    const longer = new Float64Array(state.referenceRows + 1).fill(1);
    expect(refusal('ks', withArray(state, 'sorted.0', longer))).toMatch(/61 values for 60 reference rows/);
    const { 'sorted.1': _, ...rest } = state.arrays;
    expect(refusal('ks', { ...state, arrays: rest })).toMatch(/"b".*missing/);
  });

  it('refuses category counts that are not positive whole counts or exceed the reference', () => {
    const state = fitted('tabular');
    const categories = state.json.categories as Record<string, JsonValue>;
    const bad = (counts: JsonValue | undefined): FittedState => {
      const edited: Record<string, JsonValue> = { ...categories };
      if (counts === undefined) delete edited['2'];
      else edited['2'] = counts;
      return { ...state, json: { ...state.json, categories: edited } };
    };
    expect(refusal('tabular', bad([[0, -4]]))).toMatch(/"colour".*positive whole count/);
    expect(refusal('tabular', bad([[0, 1000]]))).toMatch(/"colour".*add up to 1000/);
    expect(refusal('tabular', bad(undefined))).toMatch(/"colour".*missing/);
  });

  it('refuses a column whose kind no longer matches its test', () => {
    const state = fitted('tabular');
    const schema = { ...state.schema, kinds: ['numeric', 'numeric', 'numeric'] as const };
    expect(refusal('tabular', { ...state, schema })).toMatch(/"colour"/);
  });

  it('refuses a kernel or online reference matrix of the wrong size, or not finite', () => {
    for (const kind of ['mmd', 'lsdd', 'online-mmd', 'online-cvm'] as const) {
      const state = fitted(kind);
      const short = state.arrays.reference!.slice(1);
      expect(refusal(kind, withArray(state, 'reference', short)), kind).toMatch(/60 x 2 values, got 119/);
      const nan = state.arrays.reference!.slice();
      nan[3] = Number.NaN;
      expect(refusal(kind, withArray(state, 'reference', nan)), kind).toMatch(/not finite/);
    }
  });

  it('refuses a PCA model or bounds that do not fit, and a quality range that is not one', () => {
    const pca = fitted('pca');
    const model = pca.json.model as Record<string, unknown>;
    expect(refusal('pca', { ...pca, json: { ...pca.json, model: { ...model, mean: [1] } } })).toMatch(
      /columns/,
    );
    expect(refusal('pca', { ...pca, json: { ...pca.json, bounds: { lower: 2, upper: 1 } } })).toMatch(
      /bounds/,
    );
    const quality = fitted('quality');
    const ranges = quality.json.ranges as Record<string, number[]>;
    const broken = { ...quality, json: { ...quality.json, ranges: { ...ranges, '0': [5, 1, 2, 3] } } };
    expect(refusal('quality', broken)).toMatch(/"a".*min <= max/);
  });

  it('refuses an online fit that does not match its reference', () => {
    const state = fitted('online-mmd');
    const online = state.json.online as Record<string, unknown>;
    const broken = { ...state, json: { ...state.json, online: { ...online, windowSize: 6 } } };
    expect(refusal('online-mmd', broken)).toMatch(/does not match/);
  });
});

describe('a corrupted drift version at load', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drift-state-checks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function detectors(): FittedDetectors<DriftResult> {
    return new FittedDetectors(new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' }), kinds);
  }

  it('is refused alone with its reason; the older version and other detectors serve', async () => {
    const first = detectors();
    await first.load();
    const reference = table(60, 3, false);
    await first.fit('features', { kind: 'tabular', reference });
    await first.fit('features', { kind: 'tabular', reference });
    await first.fit('other', { kind: 'tabular', reference });
    const file = join(dir, 'features', 'v2', 'detector.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { params: Record<string, unknown> };
    saved.params.pVal = 7;
    await writeFile(file, JSON.stringify(saved));

    const restarted = detectors();
    const { failures } = await restarted.load();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ detector: 'features', version: 2 });
    expect(failures[0]!.reason).toMatch(/"pVal"/);
    expect(restarted.get('features')?.version).toBe(1);
    expect(restarted.get('other')?.version).toBe(1);
    await expect(restarted.detector('features', 2)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
