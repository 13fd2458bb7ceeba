/**
 * The model-server dashboard: valid JSON, and every PromQL expression (panels and template
 * variables) selects only metrics the model-server defines, as read from the source that
 * defines them, so renaming a metric breaks this test rather than a dashboard.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql.js';
import { exposedSeriesNames, metricDefinitions } from './helpers/source-facts.js';

interface Target {
  readonly expr?: string;
  readonly refId?: string;
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { name: string; query?: string | { query: string } }[] };
}

function loadDashboard(): Dashboard {
  return JSON.parse(
    readFileSync(deployPath('grafana', 'dashboards', 'model-server.json'), 'utf8'),
  ) as Dashboard;
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** `label_values(metric{...}, label)` -> the metric selector. */
function templateExpressions(dashboard: Dashboard): string[] {
  return dashboard.templating.list.flatMap((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    const match = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query ?? '');
    return match?.[1] ? [match[1]] : [];
  });
}

describe('grafana dashboard model-server.json', () => {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard.panels);
  const expressions = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
  );
  const definitions = metricDefinitions();
  const exposed = exposedSeriesNames(definitions);

  it('is a dashboard with unique panel ids and a stable uid', () => {
    expect(dashboard.uid).toBe('sightline-model-server');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.targets?.length, `panel "${p.title}" has queries`).toBeGreaterThan(0);
      expect(new Set(p.targets?.map((t) => t.refId)).size, `panel "${p.title}": refIds`).toBe(
        p.targets?.length,
      );
    }
  });

  it('reads the metric definitions from the source (sanity check of the reader)', () => {
    const names = definitions.map((d) => d.name);
    expect(names).toContain('sightline_inference_request_duration_seconds');
    expect(names).toContain('grpc_server_handled_total');
    expect(definitions.find((d) => d.name === 'sightline_inference_batch_size')?.type).toBe('Histogram');
  });

  it('every expression selects only metrics the model-server defines', () => {
    expect(expressions.length).toBeGreaterThan(0);
    for (const { panel, expr } of [
      ...expressions,
      ...templateExpressions(dashboard).map((expr) => ({ panel: 'templating', expr })),
    ]) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr} selects a metric`).toBeGreaterThan(0);
      for (const name of names) {
        expect(
          exposed.has(name),
          `${panel}: "${name}" is not a series of ${definitions.map((d) => d.name).join(', ')}`,
        ).toBe(true);
      }
    }
  });

  it("uses every one of the model-server's per-model metrics", () => {
    const used = new Set(
      expressions.flatMap(({ expr }) => metricNamesIn(expr)).map((n) => exposed.get(n)?.name),
    );
    for (const d of definitions.filter((d) => d.file.includes('model-server'))) {
      expect(used.has(d.name), `${d.name} on the dashboard`).toBe(true);
    }
  });

  it('filters per-model panels by the model and version variables', () => {
    for (const { panel, expr } of expressions) {
      if (!/sightline_(inference|model)_/.test(expr)) continue;
      expect(expr, panel).toContain('model=~"$model"');
      expect(expr, panel).toContain('version=~"$version"');
    }
  });

  it('the PromQL name finder sees through functions, groupings, ranges and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (model, le) (rate(a_bucket{model=~"$model",x="y z"}[$__rate_interval]))) / on (model) group_left b_total offset 5m > bool 1e3',
      ),
    ).toEqual(['a_bucket', 'b_total']);
  });
});
