import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatMetricsJoins, metricsJoinsChecks, runMetricsJoinsBench } from './metrics-joins-bench.js';

const hasPostgres = existsSync('/usr/lib/postgresql/15/bin/initdb');

describe('metrics joins bench (tiny)', () => {
  it('joins every item on SQLite through group commit and inserts the baseline', async () => {
    const r = await runMetricsJoinsBench({ backends: ['sqlite'], items: 300, clients: 4 });
    const sqlite = r.backends[0]!;
    expect(sqlite.backend).toBe('sqlite');
    expect(sqlite.joins!.items).toBe(300);
    expect(sqlite.joins!.ack.count).toBe(300);
    expect(sqlite.baseline!.ack.count).toBe(300);
    expect(sqlite.baselineClients).toBe(1);
    expect(sqlite.joins!.perSec).toBeGreaterThan(0);
    const checks = metricsJoinsChecks(r);
    expect(checks.map((c) => c.name)).toEqual([
      'metrics joins/s, SQLite, 4 callers',
      'metrics join ack p99, SQLite, 4 callers',
      'metrics joins/s / plain inserts (1 tx/item), SQLite',
    ]);
    expect(checks.every((c) => c.value !== undefined)).toBe(true);
    expect(formatMetricsJoins(r)).toContain('sqlite joins, group commit');
  });

  it.skipIf(!hasPostgres)(
    'joins every item on a loopback PostgreSQL and inserts the baseline',
    async () => {
      const r = await runMetricsJoinsBench({ backends: ['postgres'], items: 200, clients: 4 });
      const postgres = r.backends[0]!;
      expect(postgres.skipped).toBeUndefined();
      expect(postgres.joins!.ack.count).toBe(200);
      expect(postgres.baseline!.ack.count).toBe(200);
      expect(postgres.baselineClients).toBe(4);
      expect(metricsJoinsChecks(r).map((c) => c.name)).toEqual([
        'metrics joins/s / plain inserts (1 tx/item), PostgreSQL',
      ]);
    },
    60_000,
  );

  it('reports a backend that could not start as SKIPPED', () => {
    const r = {
      clients: 16,
      backends: [{ backend: 'postgres' as const, skipped: 'PostgreSQL 15 is not installed' }],
    };
    expect(metricsJoinsChecks(r).map((c) => c.verdict)).toEqual(['SKIPPED']);
    expect(formatMetricsJoins(r)).toContain('postgres: SKIPPED: PostgreSQL 15 is not installed');
  });
});
