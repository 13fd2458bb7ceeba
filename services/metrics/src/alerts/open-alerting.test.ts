import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricsStore } from '../store/metrics-store.js';
import { SqliteMetricsStore } from '../store/sqlite/sqlite-metrics-store.js';
import { resolveAlertOptions } from './alert-options.js';
import type { AlertReadings } from './alert-readings.js';
import { openAlerting } from './open-alerting.js';

const LIMITS = { bucketWidthMs: 60_000, retentionMs: 86_400_000, segmentNames: [] };
let dir: string;
let store: MetricsStore;
let pending = 0;
const readings: AlertReadings = {
  windowMetrics: async () => undefined,
  segmentValues: async () => [],
  pendingFeedback: async () => pending,
  expiredFeedbackTotal: async () => 0,
  conceptDrift: async () => ({ states: [], pairsSeen: 0 }),
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-open-alerting-'));
  store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('openAlerting', () => {
  it('loads the rules file, evaluates every --alert-interval and exports the alert series', async () => {
    const rulesFile = path.join(dir, 'rules.yaml');
    await writeFile(
      rulesFile,
      'rules:\n  - name: held\n    series: { model_name: iris }\n    metric: pending_feedback\n    comparison: gt\n    threshold: 10\n    labels: { team: ml }\n',
    );
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const registry = new Registry();
    const events: string[] = [];
    const engine = await openAlerting({
      store,
      readings,
      sink: { emit: (e) => void events.push(e.transition) },
      limits: LIMITS,
      options: resolveAlertOptions({ intervalMs: 60_000 }),
      registry,
      rulesFile,
      now: () => 1_000_000,
    });
    try {
      expect(engine.listRules(0, '').rules.map((r) => r.name)).toEqual(['held']);
      pending = 11;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(events).toEqual(['firing']);
      const text = await registry.metrics();
      expect(text).toMatch(/sightline_metrics_alert_firing\{rule="held",.*team="ml"\} 1/);
      expect(text).toContain('sightline_metrics_alert_evaluations_total 1');
    } finally {
      await engine.stop();
    }
  });

  it('a bad rules file fails the start naming the file, rule and field, and stores nothing', async () => {
    const rulesFile = path.join(dir, 'bad.yaml');
    await writeFile(
      rulesFile,
      'rules:\n  - name: x\n    series: { model_name: iris }\n    metric: accuracy\n    comparison: lt\n    threshold: .nan\n',
    );
    await expect(
      openAlerting({
        store,
        readings,
        sink: { emit() {} },
        limits: LIMITS,
        options: resolveAlertOptions(),
        registry: new Registry(),
        rulesFile,
      }),
    ).rejects.toThrow(`${rulesFile}: rules[0] (x).threshold: must be a finite number, got NaN`);
    expect((await store.listDocuments('alert_rules')).documents).toEqual([]);
  });
});
