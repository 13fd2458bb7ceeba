import { describe, expect, it } from 'vitest';
import {
  checkWindows,
  type DriftHistoryBenchResult,
  driftHistoryChecks,
  formatDriftHistory,
  type HistoryWindow,
  wrongWindows,
} from './drift-history-bench.js';

const w = (startMs: number, endMs: number, drift: boolean): HistoryWindow => ({ startMs, endMs, drift });

describe('drift history windows either side of the shift', () => {
  it('counts windows before, after and straddling the shift', () => {
    const check = checkWindows([w(0, 9, false), w(10, 19, false), w(15, 25, true), w(20, 29, true)], 20);
    expect(check).toEqual({
      before: 2,
      beforeDrifted: 0,
      after: 1,
      afterDrifted: 1,
      straddling: 1,
      ok: true,
    });
    expect(wrongWindows(check)).toBe(0);
  });

  it('flags a drift before the shift and a miss after it', () => {
    const check = checkWindows([w(0, 9, true), w(20, 29, false), w(30, 39, true)], 20);
    expect(check.ok).toBe(false);
    expect(wrongWindows(check)).toBe(2);
  });

  it('leaves the check undefined when one side had no window', () => {
    expect(wrongWindows(checkWindows([w(0, 9, false)], 20))).toBeUndefined();
  });
});

const result = (historySeconds: number, peakRssMb: number, completed = true): DriftHistoryBenchResult => ({
  events: 1_000_000,
  segments: 7,
  features: 20,
  windowRows: 10_000,
  writeSeconds: 10,
  writeEventsPerSec: 100_000,
  historySeconds,
  historyEventsRead: completed ? 1_000_000 : 250_000,
  historyCompleted: completed,
  historyEventsPerSec: (completed ? 1_000_000 : 250_000) / historySeconds,
  peakRssMb,
  rssBeforeMb: 120,
  windows: 100,
  driftedWindows: 50,
  windowCheck: { before: 50, beforeDrifted: 0, after: 50, afterDrifted: 50, straddling: 0, ok: true },
  directSeconds: 5,
  directDriftedWindows: 50,
  ratio: historySeconds / 5,
});

describe('drift history report', () => {
  it('passes under 60 s and 500 MB, fails above either', () => {
    expect(driftHistoryChecks(result(40, 300)).map((c) => c.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(driftHistoryChecks(result(70, 300)).map((c) => c.verdict)).toEqual(['FAIL', 'PASS', 'PASS']);
    expect(driftHistoryChecks(result(40, 600)).map((c) => c.verdict)).toEqual(['PASS', 'FAIL', 'PASS']);
  });

  it('says when the deadline cut the run', () => {
    const r = result(120, 300, false);
    expect(driftHistoryChecks(r)[0]!.name).toContain('did not finish');
    expect(formatDriftHistory(r)).toContain('CUT at the 120 s deadline after 250000 of 1000000 events read');
  });

  it('prints the write rate, the service figures and the ratio to the direct run', () => {
    const text = formatDriftHistory(result(40, 300));
    expect(text).toContain('write into FileEventStore: 10.0 s, 100000 events/s, 7 segments');
    expect(text).toContain('history: 40.0 s, 25000 events/s; service RSS 120 MB fitted, peak (VmHWM) 300 MB');
    expect(text).toContain('before the shift 0/50 drifted, after it 50/50');
    expect(text).toContain('service history / direct, time per event: 8.00x');
  });
});
