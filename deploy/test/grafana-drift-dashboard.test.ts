/**
 * The drift dashboard: valid JSON, and every PromQL expression (panels and template
 * variables) selects only metrics the drift service defines, read from the source that
 * defines them; every drift metric is on it; the alert rules name only drift metrics that
 * exist.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql.js';
import { exposedSeriesNames, metricDefinitions } from './helpers/source-facts.js';

const DRIFT_METRIC_FILES = ['services/drift/src/observability/drift-metrics.ts'] as const;

interface Panel {
  readonly id: number;
  readonly title: string;
  readonly targets?: readonly { readonly expr?: string; readonly refId?: string }[];
}

interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { name: string; query?: string | { query: string } }[] };
}

const dashboard = JSON.parse(
  readFileSync(deployPath('grafana', 'dashboards', 'drift.json'), 'utf8'),
) as Dashboard;
const definitions = metricDefinitions(DRIFT_METRIC_FILES);
const exposed = exposedSeriesNames(definitions);
const expressions = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
);

describe('grafana dashboard drift.json', () => {
  it('has unique panel ids, queries with unique refIds and a stable uid', () => {
    expect(dashboard.uid).toBe('sightline-drift');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets?.map((t) => t.refId)).size, p.title).toBe(p.targets?.length);
    }
  });

  it('every expression selects only metrics the drift service defines, and uses every one', () => {
    const templates = dashboard.templating.list.flatMap((v) => {
      const query = typeof v.query === 'string' ? v.query : v.query?.query;
      const match = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query ?? '');
      return match?.[1] ? [{ panel: 'templating', expr: match[1] }] : [];
    });
    const used = new Set<string>();
    for (const { panel, expr } of [...expressions, ...templates]) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(exposed.has(name), `${panel}: "${name}" is not a drift series`).toBe(true);
        used.add(exposed.get(name)!.name);
      }
    }
    for (const d of definitions) expect(used.has(d.name), `${d.name} on the dashboard`).toBe(true);
  });

  it('the alert rules name only drift series the service defines', () => {
    const rules = parse(readFileSync(deployPath('prometheus', 'rules.yaml'), 'utf8')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const names = rules.groups
      .flatMap((g) => g.rules)
      .flatMap((r) => metricNamesIn(r.expr))
      .filter((n) => n.startsWith('sightline_drift_'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(exposed.has(name), name).toBe(true);
  });
});
