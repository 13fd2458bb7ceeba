import { describe, expect, it } from 'vitest';
import { formatClientRounds, runClientRounds } from './upstream-client-rounds.js';

/** A side that spends about `spinMs` of this process's CPU per call. */
function spinning(label: string, spinMs: number) {
  const order: string[] = [];
  return {
    order,
    side: {
      label,
      pid: process.pid,
      call: async () => {
        order.push(label);
        const end = performance.now() + spinMs;
        while (performance.now() < end) {}
      },
    },
  };
}

describe('runClientRounds', () => {
  it('measures every side once per round, each round starting one side later, with ratios against baseline and reference', async () => {
    const starts: string[] = [];
    const a = spinning('proxy', 0.2);
    const b = spinning('router http2', 0.4);
    const c = spinning('router connect', 0.8);
    const sides = [a.side, b.side, c.side].map((side) => ({
      ...side,
      call: async () => {
        starts.push(side.label);
        await side.call();
      },
    }));
    const result = await runClientRounds({
      title: 'upstream clients',
      sides,
      referenceIndex: 1,
      concurrency: 1,
      rounds: 3,
      durationMs: 150,
      warmupMs: 10,
      onRound: () => starts.push('|'),
    });
    // The first label after each round mark is that round's first side.
    const firsts = [
      starts[0],
      ...starts.flatMap((s, i) => (s === '|' && starts[i + 1] ? [starts[i + 1]] : [])),
    ];
    expect(firsts).toEqual(['proxy', 'router http2', 'router connect']);
    expect(result.perRound).toHaveLength(3);
    expect(result.sides.map((s) => s.label)).toEqual(['proxy', 'router http2', 'router connect']);
    expect(result.sides[0]!.cpuVsBaseline).toBe(1);
    expect(result.sides[1]!.cpuVsReference).toBe(1);
    // Slower calls: fewer per second than the baseline's.
    expect(result.sides[2]!.throughputVsBaseline).toBeLessThan(1);
    expect(formatClientRounds(result)).toMatch(/router connect\s+\d/);
  });
});
