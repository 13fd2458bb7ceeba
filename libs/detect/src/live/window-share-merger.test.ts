import { describe, expect, it } from 'vitest';
import { STATS_KERNELS } from '../kernels.js';
import { DriftKinds } from '../kinds/drift-kinds.js';
import type { DriftResult } from '../kinds/drift-result.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { seededUniform } from '../testing/reference-kernels.js';
import { WindowAssembler, type WindowPolicy } from './window-assembler.js';
import { scoreWindow, scoringDetector, type WindowResult } from './window-result.js';
import { type WindowShare, WindowShareMerger, windowShareOf } from './window-share-merger.js';

const SLOT_MS = 60_000;
const policy: WindowPolicy = {
  mode: 'tumbling',
  maxRows: 100_000,
  maxDurationMs: SLOT_MS,
  minRows: 5,
  hopRows: 1,
  hopMs: 1,
  aligned: true,
};

function normals(n: number, seed: number, mean = 0): number[] {
  const u = seededUniform(seed);
  return Array.from(
    { length: n },
    () => mean + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
  );
}

const kind = new DriftKinds(STATS_KERNELS).get('ks');
const reference = tableFromTensors([{ name: 'x', shape: [2000], data: normals(2000, 1) }], {
  columnNames: ['x'],
});
const detector = scoringDetector('d', 1, kind.fit(reference), kind);
const meta = { detector: 'd', detectorVersion: 1, modelName: 'm', modelVersion: '' };

/** `events` one-row events spread round-robin over `replicas` assemblers in one slot; each replica's share. */
function shares(
  events: number,
  replicas: number,
  shift: number,
): { shares: WindowShare[]; all: WindowAssembler } {
  const values = normals(events, 7, shift);
  const assemblers = Array.from({ length: replicas }, () => new WindowAssembler(policy, 1));
  const all = new WindowAssembler(policy, 1);
  values.forEach((v, i) => {
    const chunk = { values: Float64Array.of(v), rows: 1, timeMs: SLOT_MS * 10 + i, requestId: `r${i}` };
    assemblers[i % replicas]!.add(chunk);
    all.add(chunk);
  });
  return {
    shares: assemblers.map((a, r) =>
      windowShareOf(`replica-${r}`, 1, a.poll(SLOT_MS * 11)[0]!, meta, ['numeric']),
    ),
    all,
  };
}

function merger(expectedShares: number, clock: () => number, slotLengthMs?: number) {
  const results: WindowResult<DriftResult>[] = [];
  const unscored: string[] = [];
  const m = new WindowShareMerger<DriftResult>({
    detectors: { get: () => detector },
    expectedShares,
    graceMs: 5000,
    ...(slotLengthMs !== undefined ? { slotLengthMs: () => slotLengthMs } : {}),
    clock,
    maxRequestIdsPerWindow: 1000,
    onWindowResult: (r) => results.push(r),
    onUnscored: (_, reason) => unscored.push(reason),
  });
  return { m, results, unscored };
}

describe('aligned windows', () => {
  it('start at the slot boundary; a count close mid-slot leaves the next window on the same boundary', () => {
    const a = new WindowAssembler({ ...policy, maxRows: 10 }, 1);
    const chunk = (t: number) => ({ values: Float64Array.of(t), rows: 1, timeMs: t, requestId: `${t}` });
    let closed = [] as ReturnType<WindowAssembler['add']>;
    for (let t = 61_000; closed.length === 0; t += 1000) closed = a.add(chunk(t));
    expect(closed[0]).toMatchObject({ reason: 'rows', startMs: 60_000, rows: 10 });
    for (let t = 75_000; t < 80_000; t += 1000) a.add(chunk(t));
    const [timed] = a.poll(120_000);
    expect(timed).toMatchObject({ reason: 'time', startMs: 60_000, endMs: 120_000, rows: 5 });
  });

  it('refuses aligned sliding windows', async () => {
    const { resolveWindowPolicy } = await import('./window-assembler.js');
    expect(() => resolveWindowPolicy({ mode: 'sliding', aligned: true })).toThrow(
      /only tumbling windows can be aligned/,
    );
  });
});

describe('WindowShareMerger', () => {
  it('scores the merged window once every share arrived, within the stated bound of one replica given every event', () => {
    for (const [shift, drift] of [
      [0, false],
      [0.3, true],
    ] as const) {
      const { shares: parts, all } = shares(3000, 3, shift);
      const { m, results } = merger(3, () => SLOT_MS * 11);
      expect(m.add(parts[0]!)).toBe('merged');
      expect(m.add(parts[0]!)).toBe('duplicate');
      expect(m.add(parts[1]!)).toBe('merged');
      expect(results).toHaveLength(0);
      expect(m.add(parts[2]!)).toBe('merged');
      expect(results).toHaveLength(1);
      const merged = results[0]!;
      const single = scoreWindow(detector, 'm', '', all.poll(SLOT_MS * 11)[0]!, 1000);
      expect(merged).toMatchObject({
        rows: 3000,
        requestCount: 3000,
        startMs: SLOT_MS * 10,
        shares: { merged: 3, expected: 3 },
      });
      expect(merged.result.overall.drift).toBe(drift);
      expect(single.result.overall.drift).toBe(drift);
      const f = merged.result.features[0]!;
      expect(Math.abs(f.statistic! - single.result.features[0]!.statistic!)).toBeLessThanOrEqual(
        f.statisticErrorBound! + 1e-9,
      );
    }
  });

  it('waits the grace from the slot end, not from a first share that closed on rows early in the slot', () => {
    let now = SLOT_MS * 10 + 500;
    const { shares: parts } = shares(300, 2, 0);
    // Replica 0's window closed on rows half a second into the slot; its part 1 comes early.
    const early: WindowShare = { ...parts[0]!, closeReason: 'rows', windowEndMs: SLOT_MS * 10 + 500 };
    const { m, results } = merger(2, () => now, SLOT_MS);
    expect(m.add(early)).toBe('merged');
    now = SLOT_MS * 10 + 500 + 5000;
    m.tick();
    expect(results).toHaveLength(0);
    now = SLOT_MS * 11;
    expect(m.add(parts[1]!)).toBe('merged');
    now = SLOT_MS * 11 + 5000;
    m.tick();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ shares: { merged: 2, expected: 2 } });
  });

  it('a missing replica: scored after the grace with 2 of 3 shares; a late share is counted and dropped', () => {
    let now = SLOT_MS * 11;
    const { shares: parts } = shares(300, 3, 0);
    const { m, results, unscored } = merger(3, () => now);
    m.add(parts[0]!);
    m.add(parts[1]!);
    now += 4999;
    m.tick();
    expect(results).toHaveLength(0);
    now += 1;
    m.tick();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ rows: 200, shares: { merged: 2, expected: 3 } });
    expect(m.add(parts[2]!)).toBe('late');
    expect(unscored).toEqual(['late-share']);
    expect(m.openSlots).toBe(0);
  });

  it('a retry of the same share is a duplicate; the same replica and part with other rows is refused, naming the replica id', () => {
    const { shares: parts } = shares(300, 2, 0);
    const { m } = merger(3, () => SLOT_MS * 11);
    expect(m.add(parts[0]!)).toBe('merged');
    expect(m.add(parts[0]!)).toBe('duplicate');
    // Another process running as replica-0: same replica and part, different rows.
    expect(() => m.add({ ...parts[1]!, replica: 'replica-0' })).toThrow(
      /replica: "replica-0" already sent part 1 .* the same replica id/,
    );
  });

  it('holds at most maxOpenSlots windows, naming the setting', () => {
    const { shares: parts } = shares(30, 1, 0);
    const m = new WindowShareMerger<DriftResult>({
      detectors: { get: () => detector },
      expectedShares: 3,
      clock: () => 0,
      maxRequestIdsPerWindow: 10,
      maxOpenSlots: 2,
      maxOpenSlotsSetting: '--max-merge-windows',
      onWindowResult: () => undefined,
    });
    const at = (slot: number) => ({
      ...parts[0]!,
      windowStartMs: slot * SLOT_MS,
      windowEndMs: (slot + 1) * SLOT_MS,
    });
    m.add(at(1));
    m.add(at(2));
    // A further share of an open slot still merges; one opening a third slot is refused.
    expect(m.add({ ...at(2), replica: 'other' })).toBe('merged');
    expect(() => m.add(at(3))).toThrow(/at most 2 \(--max-merge-windows\)/);
    expect(m.openSlots).toBe(2);
  });

  it('refuses a summary whose rows disagree with what it holds', () => {
    const { shares: parts } = shares(30, 1, 0);
    const { m } = merger(2, () => 0);
    expect(() => m.add({ ...parts[0]!, summary: { ...parts[0]!.summary, rows: 1e15 } })).toThrow(
      /window summary: rows 1000000000000000 disagrees with column 0, which holds 30 values/,
    );
    expect(m.openSlots).toBe(0);
  });
});
