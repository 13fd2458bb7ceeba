import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricsStore } from '../store/sqlite/sqlite-metrics-store.js';
import { AlertEngine } from './alert-engine.js';
import { resolveAlertOptions } from './alert-options.js';
import type { AlertReadings } from './alert-readings.js';
import { loadRulesFile, parseRules } from './rules-file.js';

const LIMITS = { bucketWidthMs: 60_000, retentionMs: 30 * 86_400_000, segmentNames: ['country'] };
const YAML = `
rules:
  - name: iris-accuracy
    series: { model_name: iris, model_version: "3" }
    segment: { name: country }
    metric: accuracy
    comparison: lt
    threshold: 0.8
    window: 30m
    min_samples: 100
    for: 10m
    use_interval: true
    confidence: 0.9
    labels: { severity: page }
    annotations: { summary: "iris accuracy below 80%" }
  - name: iris-shift
    series: { model_name: iris }
    metric: prediction_shift_psi
    comparison: gt
    threshold: 0.2
    reference: { start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z" }
  - name: iris-drift
    series: { model_name: iris }
    metric: concept_drift_state
    comparison: ge
    threshold: 2
    concept_drift_detector: page_hinkley
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-alert-rules-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function refused(text: string): string {
  try {
    parseRules(text, 'rules.yaml', LIMITS);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('rules file', () => {
  it('reads YAML rules with durations, names and defaults', () => {
    const [accuracy, shift, drift] = parseRules(YAML, 'rules.yaml', LIMITS);
    expect(accuracy).toEqual({
      name: 'iris-accuracy',
      series: { modelName: 'iris', modelVersion: '3' },
      segment: { name: 'country', value: '' },
      metric: 'accuracy',
      classLabel: '',
      comparison: 'lt',
      threshold: 0.8,
      windowMs: 1_800_000,
      minSamples: 100,
      forMs: 600_000,
      labels: { severity: 'page' },
      annotations: { summary: 'iris accuracy below 80%' },
      useInterval: true,
      confidence: 0.9,
    });
    expect(shift!.reference).toEqual({ fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2) });
    expect(shift!.windowMs).toBe(3_600_000);
    expect(drift!.conceptDriftDetector).toBe('pageHinkley');
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({
      rules: [{ name: 'a', series: { model_name: 'm' }, metric: 'mae', comparison: 'gt', threshold: 3 }],
    });
    expect(parseRules(json, 'rules.json', LIMITS)[0]!.metric).toBe('mae');
  });

  it('names the file, the rule and the field of a bad rule', () => {
    const rule = (extra: string) =>
      `rules:\n  - name: r1\n    series: { model_name: m }\n    metric: accuracy\n    comparison: lt\n    threshold: 0.5\n${extra}`;
    expect(refused(rule('    window: 10x\n'))).toBe(
      'rules.yaml: rules[0] (r1).window: expected a duration like 90s, 5m, 1h or 1d, got "10x"',
    );
    expect(refused(rule('    windw: 10m\n'))).toBe('rules.yaml: rules[0] (r1).windw: unknown field');
    expect(refused(rule('    window: 10s\n'))).toBe(
      'rules.yaml: rules[0] (r1).window: must be at least the bucket width 60000 ms, got 10000 ms',
    );
    expect(refused(rule('    class_label: a\n'))).toMatch(
      /^rules\.yaml: rules\[0\] \(r1\)\.class_label: only per-class/,
    );
    expect(refused(rule('').replace('accuracy', 'acc'))).toMatch(
      /^rules\.yaml: rules\[0\] \(r1\)\.metric: unknown metric "acc"/,
    );
    expect(refused(rule('').replace('threshold: 0.5', 'threshold: high'))).toBe(
      'rules.yaml: rules[0] (r1).threshold: expected a number, got "high"',
    );
    expect(refused(`${rule('')}${rule('').replace('rules:\n', '')}`)).toBe(
      'rules.yaml: rules[1] (r1).name: a second rule of this name',
    );
    expect(refused('rules: [')).toMatch(/^rules\.yaml: not YAML or JSON: /);
    expect(refused('alerts: []')).toBe('rules.yaml: expected a document with a "rules" list');
    expect(refused('rules:\n  - 3')).toBe('rules.yaml: rules[0]: expected a mapping of rule fields');
  });

  it('a missing file names the flag and the path', async () => {
    await expect(loadRulesFile(path.join(dir, 'missing.yaml'), LIMITS)).rejects.toThrow(
      /^--alert-rules: cannot read .*missing\.yaml: /,
    );
  });

  it('a file rule replaces an RPC rule of its name at start', async () => {
    const file = path.join(dir, 'rules.yaml');
    await writeFile(file, YAML);
    const store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
    try {
      const readings: AlertReadings = {
        windowMetrics: async () => undefined,
        segmentValues: async () => [],
        pendingFeedback: async () => 0,
        expiredFeedbackTotal: async () => 0,
        conceptDrift: async () => ({ states: [], pairsSeen: 0 }),
      };
      const deps = { store, readings, sink: { emit() {} }, limits: LIMITS, options: resolveAlertOptions() };
      const first = new AlertEngine(deps);
      await first.load();
      await first.putRule({
        name: 'iris-accuracy',
        series: { modelName: 'iris' },
        metric: 'mae',
        comparison: 'gt',
        threshold: 1,
      });
      await first.putRule({
        name: 'rpc-only',
        series: { modelName: 'iris' },
        metric: 'mae',
        comparison: 'gt',
        threshold: 1,
      });
      const restarted = new AlertEngine(deps);
      await restarted.load();
      await restarted.putFileRules(await loadRulesFile(file, LIMITS));
      const rules = restarted.listRules(0, '').rules;
      expect(rules.map((r) => r.name)).toEqual(['iris-accuracy', 'iris-drift', 'iris-shift', 'rpc-only']);
      expect(rules[0]!.metric).toBe('accuracy');
    } finally {
      await store.close();
    }
  });
});
