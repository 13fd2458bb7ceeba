import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATS_KERNELS } from '../kernels.js';
import { DriftKinds } from '../kinds/drift-kinds.js';
import type { DriftResult } from '../kinds/drift-result.js';
import type { FeatureTable } from '../table/feature-table.js';
import { toRowMajor } from '../table/feature-table.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { seededUniform } from '../testing/reference-kernels.js';
import { WindowAssembler } from './window-assembler.js';
import { scoreWindow, scoringDetector } from './window-result.js';
import { WindowSummary } from './window-summary.js';

const KINDS = ['numeric', 'categorical'] as const;

function normals(n: number, seed: number, mean = 0): number[] {
  const u = seededUniform(seed);
  return Array.from(
    { length: n },
    () => mean + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
  );
}

/** `n` rows of a normal `amount` (shifted) and a `colour` category (its last colour `extra` times as often). */
function mixedTable(n: number, seed: number, shift: number, extra = 1): FeatureTable {
  const u = seededUniform(seed + 1000);
  const colours = ['red', 'green', 'blue'];
  const weights = [1, 1, extra];
  const total = weights.reduce((a, b) => a + b, 0);
  const colour = Array.from({ length: n }, () => {
    let x = u() * total;
    for (let k = 0; k < 3; k++) {
      x -= weights[k]!;
      if (x < 0) return colours[k]!;
    }
    return colours[2]!;
  });
  return tableFromTensors(
    [
      { name: 'num', shape: [n], data: normals(n, seed, shift) },
      { name: 'colour', shape: [n], data: colour },
    ],
    { columnNames: ['amount', 'colour'], categorical: ['colour'] },
  );
}

/** A summary of `table`'s rows, given as chunks of `chunkRows`. */
function summarise(table: FeatureTable, chunkRows = 500, sampleRows = 1000): WindowSummary {
  const summary = new WindowSummary({ kinds: table.kinds, sampleRows });
  const values = toRowMajor(table);
  const width = table.columns.length;
  for (let r = 0; r < table.rows; r += chunkRows) {
    const rows = Math.min(chunkRows, table.rows - r);
    summary.add({
      values: values.subarray(r * width, (r + rows) * width),
      rows,
      timeMs: r,
      requestId: `req-${r}`,
    });
  }
  return summary;
}

/** The parts of a summary that merge exactly (the reservoir merges in distribution only). */
function exactParts(s: WindowSummary) {
  const json = s.toJSON();
  return {
    rows: json.rows,
    requests: json.requests,
    firstMs: json.firstMs,
    lastMs: json.lastMs,
    missing: json.missing,
    infinite: json.infinite,
    sampled: json.sampled,
    // Bins may be stored at other offsets; compare what they answer.
    quantiles: [0, 0.1, 0.5, 0.9, 1].map((q) => {
      const table = s.toTable({ names: ['a', 'b'], kinds: s.kinds, dictionaries: [null, null] });
      return table.sketches[0]!.quantile(q);
    }),
    counts: [
      ...(s.toTable({ names: ['a', 'b'], kinds: s.kinds, dictionaries: [null, null] }).counts[1] ?? []),
    ].sort((a, b) => a[0] - b[0]),
  };
}

describe('WindowSummary', () => {
  const chunk = fc
    .record({
      rows: fc.integer({ min: 1, max: 20 }),
      timeMs: fc.integer({ min: 0, max: 1e6 }),
      seed: fc.integer({ min: 1, max: 1e6 }),
    })
    .map(({ rows, timeMs, seed }) => {
      const u = seededUniform(seed);
      const values = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const x = u();
        values[r * 2] = x < 0.05 ? Number.NaN : Math.round((u() - 0.5) * 1e6) / 1e3;
        values[r * 2 + 1] = Math.floor(u() * 5);
      }
      return { values, rows, timeMs, requestId: `r${seed}` };
    });
  const summaryOf = fc
    .array(chunk, { maxLength: 6 })
    .map((chunks) => chunks.reduce((s, c) => s.add(c), new WindowSummary({ kinds: KINDS, sampleRows: 8 })));

  it('merges associatively and commutatively (property)', () => {
    fc.assert(
      fc.property(summaryOf, summaryOf, summaryOf, (a, b, c) => {
        const copy = (s: WindowSummary) => WindowSummary.fromJSON(s.toJSON());
        const ab = copy(a).merge(b);
        const ba = copy(b).merge(a);
        const abC = copy(a).merge(b).merge(c);
        const aBc = copy(a).merge(copy(b).merge(c));
        expect(exactParts(ab)).toEqual(exactParts(ba));
        expect(exactParts(abC)).toEqual(exactParts(aBc));
        expect(abC.sampled).toBe(Math.min(8, a.rows + b.rows + c.rows));
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips through JSON, reservoir included', () => {
    const s = summarise(mixedTable(3000, 1, 0));
    const restored = WindowSummary.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    // The sketch's protobuf may place the same bins at another offset: compare all else, and its answers.
    const withoutBins = (w: WindowSummary) => {
      const json = w.toJSON();
      return { ...json, sketches: json.sketches.map((k) => (k ? { ...k, ddsketch: '' } : k)) };
    };
    expect(withoutBins(restored)).toEqual(withoutBins(s));
    expect(exactParts(restored)).toEqual(exactParts(s));
  });

  it('refuses another schema version and a sample that does not fit', () => {
    const json = summarise(mixedTable(100, 1, 0)).toJSON();
    expect(() => WindowSummary.fromJSON({ ...json, schemaVersion: 99 })).toThrow(/schemaVersion 99/);
    expect(() => WindowSummary.fromJSON({ ...json, sampled: 7 })).toThrow(/sample of 7 rows/);
  });

  it('keeps a uniform reservoir: its mean is near the window mean', () => {
    const s = summarise(mixedTable(50_000, 2, 3), 250, 2000);
    const sample = s.toTable(mixedTable(1, 2, 0)).sample;
    expect(sample.rows).toBe(2000);
    const mean = sample.columns[0]!.reduce((a, b) => a + b, 0) / sample.rows;
    // Standard error 1 / sqrt(2000) = 0.022: 5 of them.
    expect(Math.abs(mean - 3)).toBeLessThan(0.12);
  });
});

describe('scoring a summarised window against the exact window', () => {
  const kinds = new DriftKinds(STATS_KERNELS, { drawSeed: () => 7 });
  const reference = mixedTable(5000, 11, 0);

  function both(kind: string, window: FeatureTable, params: Record<string, unknown> = {}) {
    const k = kinds.get(kind);
    const state = k.fit(reference, params);
    const exact = k.score(state, window);
    const approx = k.scoreSummary!(state, summarise(window).toTable(state.schema));
    return { exact, approx };
  }

  function expectClose(exact: DriftResult, approx: DriftResult): void {
    expect(approx.rows).toBe(exact.rows);
    expect(approx.approximation?.windowRows).toBe(exact.rows);
    expect(approx.overall.drift).toBe(exact.overall.drift);
    approx.features.forEach((f, c) => {
      const e = exact.features[c]!;
      expect(f.test).toBe(e.test);
      if (f.test === 'chi2') {
        expect(f.statistic).toBe(e.statistic);
        expect(f.pValue).toBe(e.pValue);
        expect(f.statisticErrorBound).toBe(0);
      } else {
        expect(Math.abs(f.statistic! - e.statistic!)).toBeLessThanOrEqual(f.statisticErrorBound! + 1e-9);
      }
      expect(f.effectSizes!.psi).toBeCloseTo(e.effectSizes!.psi, 2);
      expect(f.effectSizes!.hellinger).toBeCloseTo(e.effectSizes!.hellinger, 2);
      expect(f.effectSizes!.jensenShannon).toBeCloseTo(e.effectSizes!.jensenShannon, 2);
      if (e.effectSizes!.wasserstein !== undefined) {
        expect(f.effectSizes!.wasserstein!).toBeCloseTo(e.effectSizes!.wasserstein, 2);
      }
    });
  }

  it('tabular: same verdicts on no drift, a numeric shift and a category shift; KS within its bound, chi2 exact', () => {
    for (const [window, drift] of [
      [mixedTable(150_000, 12, 0), false],
      [mixedTable(150_000, 13, 0.1), true],
      [mixedTable(150_000, 14, 0, 1.3), true],
    ] as const) {
      const { exact, approx } = both('tabular', window);
      expect(exact.overall.drift).toBe(drift);
      expectClose(exact, approx);
      expect(approx.features[0]!.statisticErrorBound).toBeLessThan(0.001);
    }
  });

  it("is exact on numeric columns of few distinct values (integers): KS and CVM equal the raw window's", () => {
    const integers = (n: number, seed: number, shift: number) => {
      const u = seededUniform(seed);
      return tableFromTensors(
        [{ name: 'x', shape: [n], data: Array.from({ length: n }, () => Math.floor(u() * 20 + shift)) }],
        { columnNames: ['count'] },
      );
    };
    for (const numericTest of ['ks', 'cvm'] as const) {
      const k = kinds.get('tabular');
      const state = k.fit(integers(3000, 31, 0), { numericTest });
      for (const [window, drift] of [
        [integers(50_000, 32, 0), false],
        [integers(50_000, 33, 1), true],
      ] as const) {
        const exact = k.score(state, window);
        const approx = k.scoreSummary!(state, summarise(window).toTable(state.schema));
        expect(approx.overall.drift).toBe(exact.overall.drift);
        // KS's verdicts are the expected ones; CVM's asymptotic p-value is not calibrated for
        // data this tied (scipy's neither), so only its equality with the raw window is tested.
        if (numericTest === 'ks') expect(approx.overall.drift).toBe(drift);
        expect(approx.features[0]!.statistic).toBe(exact.features[0]!.statistic);
        expect(approx.features[0]!.pValue).toBe(exact.features[0]!.pValue);
        expect(approx.features[0]!.statisticErrorBound).toBe(0);
        expect(approx.features[0]!.effectSizes).toEqual(exact.features[0]!.effectSizes);
        // The note says what was done: no sketch was tested against.
        expect(approx.approximation!.note).toMatch(
          new RegExp(`${numericTest.toUpperCase()} exact on 1 column\\(s\\) of at most 1000 distinct values`),
        );
        expect(approx.approximation!.note).not.toMatch(/against quantile sketches/);
      }
    }
  });

  it('refuses CVM on a summarised window, saying why and what to do', () => {
    const k = kinds.get('tabular');
    const state = k.fit(reference, { numericTest: 'cvm' });
    expect(() => k.scoreSummary!(state, summarise(mixedTable(2000, 3, 0)).toTable(state.schema))).toThrow(
      /column "amount": CVM needs the window's values.*summarised with more than 1000 distinct values.*exactRows.*KS/,
    );
  });

  it('quality: missing, infinite and unseen counts exact; out-of-range from the sketch', () => {
    const window = mixedTable(20_000, 15, 0.5);
    const values = toRowMajor(window);
    for (let r = 0; r < 200; r++) values[r * 2 * 7] = Number.NaN;
    values[2] = Number.POSITIVE_INFINITY;
    const withBad: FeatureTable = {
      ...window,
      columns: [
        Float64Array.from({ length: window.rows }, (_, r) => values[r * 2]!),
        Float64Array.from({ length: window.rows }, (_, r) => values[r * 2 + 1]!),
      ],
    };
    const k = kinds.get('quality');
    const state = k.fit(reference);
    const exact = k.score(state, withBad);
    const approx = k.scoreSummary!(state, summarise(withBad).toTable(state.schema));
    const [e, a] = [exact.features[0]!.quality!, approx.features[0]!.quality!];
    expect(a.missing).toBe(e.missing);
    expect(a.infinite).toBe(e.infinite);
    expect(Math.abs(a.outOfRange - e.outOfRange)).toBeLessThanOrEqual(0.002 * window.rows);
    expect(Math.abs(a.outOfBounds - e.outOfBounds)).toBeLessThanOrEqual(0.002 * window.rows);
    expect(approx.overall.drift).toBe(exact.overall.drift);
  });

  it('mmd: scored on the reservoir sample, which the result states', () => {
    const numeric = (n: number, seed: number, shift: number) =>
      tableFromTensors([{ name: 'x', shape: [n], data: normals(n, seed, shift) }], { columnNames: ['x'] });
    const k = kinds.get('mmd');
    const state = k.fit(numeric(500, 21, 0), { permutations: 50 });
    const summary = new WindowSummary({ kinds: ['numeric'], sampleRows: 300 });
    const window = numeric(20_000, 22, 1);
    summary.add({ values: window.columns[0]!, rows: window.rows, timeMs: 0, requestId: 'r' });
    const result = k.scoreSummary!(state, summary.toTable(state.schema));
    expect(result.overall.drift).toBe(true);
    expect(result.rows).toBe(20_000);
    expect(result.approximation).toMatchObject({ windowRows: 20_000, sampledRows: 300 });
    expect(result.approximation!.note).toMatch(/uniform sample of 300 of its 20000 rows/);
  });
});

describe('WindowAssembler past exactRows', () => {
  const policy = {
    mode: 'tumbling' as const,
    maxRows: 1000,
    maxDurationMs: 60_000,
    minRows: 1,
    hopRows: 500,
    hopMs: 30_000,
    exactRows: 100,
  };
  const chunkOf = (rows: number, timeMs: number, id: string) => ({
    values: Float64Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? i / 7 : i % 3)),
    rows,
    timeMs,
    requestId: id,
  });

  it('folds a window into a summary past exactRows, closes it on count, and scores it', () => {
    const assembler = new WindowAssembler(policy, 2, { kinds: KINDS });
    expect(assembler.add(chunkOf(60, 1, 'a'))).toEqual([]);
    expect(assembler.summarised).toBe(false);
    expect(assembler.add(chunkOf(60, 2, 'b'))).toEqual([]);
    expect(assembler.summarised).toBe(true);
    expect(assembler.openRows).toBe(120);
    let closed: ReturnType<WindowAssembler['add']> = [];
    for (let i = 0; closed.length === 0; i++) closed = assembler.add(chunkOf(100, 3 + i, `c${i}`));
    const [window] = closed;
    expect(window!.reason).toBe('rows');
    expect(window!.rows).toBe(1020);
    expect(window!.summary!.rows).toBe(1020);
    expect(window!.requestCount).toBe(11);
    expect(window!.startMs).toBe(1);
    expect(assembler.summarised).toBe(false);

    const reference = tableFromTensors(
      [
        { name: 'x', shape: [200], data: Array.from({ length: 200 }, (_, i) => i / 2) },
        { name: 'c', shape: [200], data: Array.from({ length: 200 }, (_, i) => i % 3) },
      ],
      { columnNames: ['x', 'c'], categorical: ['c'] },
    );
    const kind = new DriftKinds(STATS_KERNELS).get('tabular');
    const detector = scoringDetector('d', 1, kind.fit(reference), kind);
    const result = scoreWindow(detector, 'm', '1', window!, 1000);
    expect(result.rows).toBe(1020);
    expect(result.requestCount).toBe(11);
    expect(result.result.approximation?.windowRows).toBe(1020);
  });

  it('checkpoints and restores a summarised open window', () => {
    const assembler = new WindowAssembler(policy, 2, { kinds: KINDS });
    assembler.add(chunkOf(150, 1, 'a'));
    const restored = WindowAssembler.restore(JSON.parse(JSON.stringify(assembler.checkpoint())));
    expect(restored.summarised).toBe(true);
    expect(restored.openRows).toBe(150);
    const [window] = restored.poll(60_001);
    expect(window!.reason).toBe('time');
    const original = assembler.poll(60_001)[0]!.summary!;
    expect(exactParts(window!.summary!)).toEqual(exactParts(original));
    expect(window!.summary!.toJSON().sample).toBe(original.toJSON().sample);
  });

  it('a sliding window stays exact whatever exactRows', () => {
    const assembler = new WindowAssembler({ ...policy, mode: 'sliding' }, 2, { kinds: KINDS });
    assembler.add(chunkOf(500, 1, 'a'));
    expect(assembler.summarised).toBe(false);
  });
});
