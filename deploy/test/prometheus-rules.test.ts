/**
 * The Prometheus artefacts, checked by Prometheus' own tool: the rules load, their unit
 * tests (every alert firing and held back) pass, the example configurations load, and the
 * prometheus-operator component embeds exactly these rules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROMTOOL, runTool, runToolOk } from './helpers/external-tool.js';
import { deployPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql.js';
import {
  DRIFT_METRIC_FILES,
  EXPLAINER_METRIC_FILES,
  exposedSeriesNames,
  latencyBucketsSeconds,
  MODEL_SERVER_METRIC_FILES,
  metricDefinitions,
  metricsServiceMetricFiles,
  OUTLIER_METRIC_FILES,
  ROUTER_METRIC_FILES,
} from './helpers/source-facts.js';

const RULES = deployPath('prometheus', 'rules.yaml');
/** promtool's unit tests of rules.yaml: the SLO burn-rate cases (long windows, slow) apart. */
const RULE_TESTS = [deployPath('prometheus', 'rules.test.yaml'), deployPath('prometheus', 'slo.test.yaml')];
/**
 * promtool evaluates every rule each minute of every case (the SLO cases over up to 10
 * hours of series): 5 to 15 s on a busy 2-core machine, so each run gets a minute (and its
 * test a little more).
 */
const PROMTOOL_TEST_TIMEOUT_MS = 60_000;

interface RuleFile {
  groups: { name: string; rules: ({ alert?: string; record?: string } & Record<string, unknown>)[] }[];
}

function readYaml<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

/** promtool's answer when it was built without a service discovery (Debian's package). */
const DISCOVERY_MISSING = /field (\w+_sd_configs) not found in type config\.ScrapeConfig/;

describe('promtool', () => {
  it('check rules: deploy/prometheus/rules.yaml loads', () => {
    const out = runToolOk(PROMTOOL, ['check', 'rules', RULES]);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it(
    'test rules: every alert fires on its condition and stays quiet otherwise',
    () => {
      const out = runToolOk(PROMTOOL, ['test', 'rules', RULE_TESTS[0]!], {
        timeoutMs: PROMTOOL_TEST_TIMEOUT_MS,
      });
      expect(out).toContain('SUCCESS');
    },
    PROMTOOL_TEST_TIMEOUT_MS + 10_000,
  );

  it(
    'test rules: every SLO burn-rate alert fires on its burn, not on a healthy series or a short blip',
    () => {
      const out = runToolOk(PROMTOOL, ['test', 'rules', RULE_TESTS[1]!], {
        timeoutMs: PROMTOOL_TEST_TIMEOUT_MS,
      });
      expect(out).toContain('SUCCESS');
    },
    PROMTOOL_TEST_TIMEOUT_MS + 10_000,
  );

  it('the unit tests cover every alert, firing and not firing', () => {
    const alerts = readYaml<RuleFile>(RULES).groups.flatMap((g) =>
      g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
    );
    const tests = RULE_TESTS.flatMap(
      (file) =>
        readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }>(file)
          .tests,
    ).flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        `${alert}: a case where it fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0),
        `${alert}: a case where it does not`,
      ).toBe(true);
    }
  });

  it("every expression selects only series the services define, Prometheus' `up` or a recorded rule", () => {
    const groups = readYaml<RuleFile>(RULES).groups;
    const exposed = exposedSeriesNames(
      metricDefinitions([
        ...new Set([
          ...MODEL_SERVER_METRIC_FILES,
          ...DRIFT_METRIC_FILES,
          ...OUTLIER_METRIC_FILES,
          ...ROUTER_METRIC_FILES,
          ...EXPLAINER_METRIC_FILES,
          ...metricsServiceMetricFiles(),
        ]),
      ]),
    );
    const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    for (const rule of groups.flatMap((g) => g.rules)) {
      const where = rule.alert ?? rule.record;
      const names = metricNamesIn(String(rule.expr));
      expect(names.length, `${where}: selects a series`).toBeGreaterThan(0);
      for (const name of names) {
        expect(
          name === 'up' || exposed.has(name) || recorded.has(name),
          `${where}: "${name}" is neither a series a service defines nor a recording rule`,
        ).toBe(true);
      }
    }
    // The drift and outlier rules are read against their services' definitions, not just any file.
    expect(groups.map((g) => g.name)).toContain('sightline-drift.alerts');
    expect(groups.map((g) => g.name)).toContain('sightline-outlier.alerts');
    expect(groups.map((g) => g.name)).toContain('sightline-metrics.alerts');
    expect(groups.map((g) => g.name)).toContain('sightline-router-slo.alerts');
  });

  it('every `le` a rule selects is a bucket bound of the latency histograms', () => {
    const bounds = latencyBucketsSeconds();
    expect(bounds).toContain(0.25);
    const rules = readYaml<RuleFile>(RULES).groups.flatMap((g) => g.rules);
    const selected = rules.flatMap((r) => [...String(r.expr).matchAll(/le="([^"]+)"/g)].map((m) => m[1]!));
    expect(selected.length, 'the latency SLO selects its bucket').toBeGreaterThan(0);
    for (const le of selected) expect(bounds, `le="${le}"`).toContain(Number(le));
  });

  it('every alert has a severity, a summary and a runbook in deploy/README.md', () => {
    const readme = readFileSync(deployPath('README.md'), 'utf8').toLowerCase();
    for (const rule of readYaml<RuleFile>(RULES).groups.flatMap((g) => g.rules)) {
      if (!rule.alert) continue;
      const labels = rule.labels as Record<string, string>;
      const annotations = rule.annotations as Record<string, string>;
      expect(['critical', 'warning'], rule.alert).toContain(labels.severity);
      expect(annotations.summary, rule.alert).toBeTruthy();
      const anchor = rule.alert.toLowerCase();
      expect(annotations.runbook_url, rule.alert).toBe(`deploy/README.md#${anchor}`);
      expect(readme, `deploy/README.md has a "### ${rule.alert}" section`).toContain(`### ${anchor}`);
    }
  });

  it('check config: the local-stack configuration (prometheus.yml) loads with its rules', () => {
    const out = runToolOk(PROMTOOL, ['check', 'config', deployPath('prometheus', 'prometheus.yml')]);
    expect(out).toContain('is valid prometheus config file syntax');
    const config = readYaml<{ scrape_configs: { static_configs: { targets: string[] }[] }[] }>(
      deployPath('prometheus', 'prometheus.yml'),
    );
    const targets = config.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual([0, 1, 2, 3, 4, 5].map((i) => `127.0.0.1:${9000 + i}`));
  });

  it('check config: the Kubernetes configuration (prometheus-kubernetes.yml) loads', () => {
    const file = deployPath('prometheus', 'prometheus-kubernetes.yml');
    const result = runTool(PROMTOOL, ['check', 'config', file]);
    if (result.status === 0) return;
    // Debian builds Prometheus without Kubernetes discovery, so this promtool rejects the
    // kubernetes_sd_configs block itself. Check everything else (relabelling regexes,
    // target labels, rule files) by swapping only the discovery for a static target.
    const missing = DISCOVERY_MISSING.exec(result.stdout + result.stderr);
    expect(missing?.[1], `promtool failed for another reason:\n${result.stdout}${result.stderr}`).toBe(
      'kubernetes_sd_configs',
    );
    const config = readYaml<{ scrape_configs: Record<string, unknown>[] }>(file);
    for (const job of config.scrape_configs) {
      if (!job.kubernetes_sd_configs) continue;
      delete job.kubernetes_sd_configs;
      job.static_configs = [{ targets: ['10.0.0.1:9001'] }];
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-prometheus-'));
    try {
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
      writeFileSync(path.join(dir, 'rules.yaml'), readFileSync(RULES));
      const out = runToolOk(PROMTOOL, ['check', 'config', path.join(dir, 'prometheus.yml')]);
      expect(out).toContain('is valid prometheus config file syntax');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prometheus-operator component', () => {
  it('embeds exactly the groups of deploy/prometheus/rules.yaml (else: npm run sync)', () => {
    const resource = readYaml<{ kind: string; spec: RuleFile }>(
      deployPath('k8s', 'components', 'prometheus-operator', 'prometheus-rule.yaml'),
    );
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec.groups, 'stale copy: run `npm run sync -w @sightline/deploy`').toEqual(
      readYaml<RuleFile>(RULES).groups,
    );
  });
});
