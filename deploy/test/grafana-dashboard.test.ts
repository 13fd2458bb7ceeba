/**
 * The Grafana dashboards: valid JSON, and every PromQL expression (panels and template
 * variables) selects only metrics its service defines, as read from the source that
 * defines them, so renaming a metric breaks this test rather than a dashboard.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql.js';
import {
  DRIFT_METRIC_FILES,
  exposedSeriesNames,
  MODEL_SERVER_METRIC_FILES,
  metricDefinitions,
  OUTLIER_METRIC_FILES,
} from './helpers/source-facts.js';

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

/** A dashboard, the service it shows and how its panels must be filtered. */
interface DashboardSpec {
  readonly file: string;
  readonly uid: string;
  /** Where the metrics it may select are defined. */
  readonly metricFiles: readonly string[];
  /** The service's own metric file: every metric defined there must be on the dashboard. */
  readonly ownMetricFile: string;
  /** Expressions selecting a metric this matches must filter by every selector in `filters`. */
  readonly filtered: RegExp;
  readonly filters: readonly string[];
  /** Metrics the reader must find (sanity check of the reader), with the type of one of them. */
  readonly known: readonly string[];
  readonly knownType: { readonly name: string; readonly type: string };
}

const DASHBOARDS: readonly DashboardSpec[] = [
  {
    file: 'model-server.json',
    uid: 'sightline-model-server',
    metricFiles: MODEL_SERVER_METRIC_FILES,
    ownMetricFile: MODEL_SERVER_METRIC_FILES[0],
    filtered: /sightline_(inference|model)_/,
    filters: ['model=~"$model"', 'version=~"$version"'],
    known: ['sightline_inference_request_duration_seconds', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_inference_batch_size', type: 'Histogram' },
  },
  {
    file: 'drift.json',
    uid: 'sightline-drift',
    metricFiles: DRIFT_METRIC_FILES,
    ownMetricFile: DRIFT_METRIC_FILES[0],
    // Every drift series carries a detector label except the service-wide ones (the
    // ingestion queue and its counters, the sink, the refused versions at start, the scoring
    // threads).
    filtered:
      /sightline_drift_(?!event_queue_depth|events_received_total|events_duplicate_total|events_refused_total|event_sink_dropped_total|detectors_refused|scores|scoring_threads_replaced)/,
    filters: ['detector=~"$detector"'],
    known: ['sightline_drift_drift', 'sightline_drift_feature_p_value', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_drift_window_export_seconds', type: 'Histogram' },
  },
  {
    file: 'outlier.json',
    uid: 'sightline-outlier',
    metricFiles: OUTLIER_METRIC_FILES,
    ownMetricFile: OUTLIER_METRIC_FILES[0],
    // Every outlier series carries a detector label except the service-wide ones (the
    // ingestion queue and its counters, the sink, the refused detectors at start).
    filtered:
      /sightline_outlier_(?!event_queue_depth|events_received_total|events_duplicate_total|events_refused_total|event_sink_dropped_total|detectors_refused)/,
    filters: ['detector=~"$detector"'],
    known: ['sightline_outlier_scored_total', 'sightline_outlier_flagged_total', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_outlier_score', type: 'Histogram' },
  },
];

function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(deployPath('grafana', 'dashboards', file), 'utf8')) as Dashboard;
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

describe.each(DASHBOARDS)('grafana dashboard $file', (spec) => {
  const dashboard = loadDashboard(spec.file);
  const panels = allPanels(dashboard.panels);
  const expressions = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
  );
  const definitions = metricDefinitions(spec.metricFiles);
  const exposed = exposedSeriesNames(definitions);

  it('is a dashboard with unique panel ids and a stable uid', () => {
    expect(dashboard.uid).toBe(spec.uid);
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
    for (const name of spec.known) expect(names).toContain(name);
    expect(definitions.find((d) => d.name === spec.knownType.name)?.type).toBe(spec.knownType.type);
  });

  it('every expression selects only metrics the service defines', () => {
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

  it("uses every one of the service's own metrics", () => {
    const used = new Set(
      expressions.flatMap(({ expr }) => metricNamesIn(expr)).map((n) => exposed.get(n)?.name),
    );
    for (const d of definitions.filter((d) => d.file === spec.ownMetricFile)) {
      expect(used.has(d.name), `${d.name} on the dashboard`).toBe(true);
    }
  });

  it('filters per-model or per-detector panels by the dashboard variables', () => {
    let filtered = 0;
    for (const { panel, expr } of expressions) {
      if (!spec.filtered.test(expr)) continue;
      filtered++;
      for (const selector of spec.filters) expect(expr, panel).toContain(selector);
    }
    expect(filtered).toBeGreaterThan(0);
  });
});

describe('the PromQL name finder', () => {
  it('sees through functions, groupings, ranges and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (model, le) (rate(a_bucket{model=~"$model",x="y z"}[$__rate_interval]))) / on (model) group_left b_total offset 5m > bool 1e3',
      ),
    ).toEqual(['a_bucket', 'b_total']);
  });
});
