/**
 * The Grafana dashboards: valid JSON, and every PromQL expression (panels and template
 * variables) selects only metrics its service defines, as read from the source that
 * defines them, so renaming a metric breaks this test rather than a dashboard.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROMTOOL, runToolOk } from './helpers/external-tool.js';
import { buildBaseWith, ofKind } from './helpers/kustomize.js';
import { deployPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql.js';
import {
  DRIFT_METRIC_FILES,
  EXPLAINER_METRIC_FILES,
  exposedSeriesNames,
  type MetricDefinition,
  MODEL_SERVER_METRIC_FILES,
  metricDefinitions,
  metricsServiceMetricFiles,
  OUTLIER_METRIC_FILES,
  ROUTER_METRIC_FILES,
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

/** Expressions selecting a metric `metrics` matches must filter by every selector in `selectors`. */
interface FilterRule {
  readonly metrics: RegExp;
  readonly selectors: readonly string[];
}

/** A dashboard, the services it shows and how its panels must be filtered. */
interface DashboardSpec {
  readonly file: string;
  readonly uid: string;
  /** Where the metrics it may select are defined. */
  readonly metricFiles: readonly string[];
  /** The metrics it owns: every one of them must be on the dashboard. */
  readonly owns: (metric: MetricDefinition) => boolean;
  /** At least one expression is filtered by each rule. */
  readonly filterRules: readonly FilterRule[];
  /** Metrics the reader must find (sanity check of the reader), with the type of one of them. */
  readonly known: readonly string[];
  readonly knownType: { readonly name: string; readonly type: string };
}

/** Every metric defined in `file`. */
const definedIn =
  (file: string) =>
  (metric: MetricDefinition): boolean =>
    metric.file === file;

const DASHBOARDS: readonly DashboardSpec[] = [
  {
    file: 'model-server.json',
    uid: 'sightline-model-server',
    metricFiles: MODEL_SERVER_METRIC_FILES,
    owns: definedIn(MODEL_SERVER_METRIC_FILES[0]),
    filterRules: [
      { metrics: /sightline_(inference|model)_/, selectors: ['model=~"$model"', 'version=~"$version"'] },
    ],
    known: ['sightline_inference_request_duration_seconds', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_inference_batch_size', type: 'Histogram' },
  },
  {
    file: 'drift.json',
    uid: 'sightline-drift',
    metricFiles: DRIFT_METRIC_FILES,
    owns: definedIn(DRIFT_METRIC_FILES[0]),
    // Every drift series carries a detector label except the service-wide ones (the
    // ingestion queue and its counters, the sink, the refused versions at start, the scoring
    // threads).
    filterRules: [
      {
        metrics:
          /sightline_drift_(?!event_queue_depth|event_queue_age_seconds|events_received_total|events_duplicate_total|events_refused_total|event_sink_dropped_total|detectors_refused|scores|scoring_threads_replaced)/,
        selectors: ['detector=~"$detector"'],
      },
    ],
    known: ['sightline_drift_drift', 'sightline_drift_feature_p_value', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_drift_window_export_seconds', type: 'Histogram' },
  },
  {
    file: 'outlier.json',
    uid: 'sightline-outlier',
    metricFiles: OUTLIER_METRIC_FILES,
    owns: definedIn(OUTLIER_METRIC_FILES[0]),
    // Every outlier series carries a detector label except the service-wide ones (the
    // ingestion queue and its counters, the sink, the refused detectors at start).
    filterRules: [
      {
        metrics:
          /sightline_outlier_(?!event_queue_depth|event_queue_age_seconds|events_received_total|events_duplicate_total|events_refused_total|event_sink_dropped_total|detectors_refused)/,
        selectors: ['detector=~"$detector"'],
      },
    ],
    known: ['sightline_outlier_scored_total', 'sightline_outlier_flagged_total', 'grpc_server_handled_total'],
    knownType: { name: 'sightline_outlier_score', type: 'Histogram' },
  },
  {
    // Serving through the router: every router series but the event pipeline's.
    file: 'router.json',
    uid: 'sightline-router',
    metricFiles: ROUTER_METRIC_FILES,
    owns: (m) => definedIn(ROUTER_METRIC_FILES[0])(m) && !m.name.startsWith('sightline_router_event'),
    filterRules: [
      { metrics: /sightline_router_(request|node|circuit|off_path)/, selectors: ['graph=~"$graph"'] },
      // The per-graph SLO recording rules carry a graph label too.
      { metrics: /sightline:router_graph_/, selectors: ['graph=~"$graph"'] },
    ],
    known: ['sightline_router_request_duration_seconds', 'sightline_router_circuit_breaker_state'],
    knownType: { name: 'sightline_router_node_duration_seconds', type: 'Histogram' },
  },
  {
    // The event pipeline: the router's sinks, and what the receivers and result sinks count.
    file: 'pipeline.json',
    uid: 'sightline-pipeline',
    metricFiles: [
      ...ROUTER_METRIC_FILES,
      ...DRIFT_METRIC_FILES,
      ...OUTLIER_METRIC_FILES,
      ...metricsServiceMetricFiles(),
      ...EXPLAINER_METRIC_FILES,
    ],
    owns: (m) => definedIn(ROUTER_METRIC_FILES[0])(m) && m.name.startsWith('sightline_router_event'),
    filterRules: [
      { metrics: /sightline_router_event(s_total|_queue_depth|_spill)/, selectors: ['sink=~"$sink"'] },
    ],
    known: ['sightline_router_events_total', 'sightline_drift_events_received_total'],
    knownType: { name: 'sightline_router_event_spill_bytes', type: 'Gauge' },
  },
  {
    // Model quality: the metrics service's series, with drift and outlier rates beside them.
    file: 'monitoring.json',
    uid: 'sightline-monitoring',
    metricFiles: [...metricsServiceMetricFiles(), ...DRIFT_METRIC_FILES, ...OUTLIER_METRIC_FILES],
    owns: (m) => m.file.startsWith('services/metrics/'),
    filterRules: [
      { metrics: /sightline_metrics_window_value/, selectors: ['model_name=~"$model"', 'window=~"$window"'] },
      {
        metrics:
          /sightline_metrics_(predictions|pairs_joined|pending_feedback|feedback_expired|concept_drift|alert_(firing|state|value|samples))/,
        selectors: ['model_name=~"$model"'],
      },
      { metrics: /sightline_drift_/, selectors: ['detector=~"$detector"'] },
      { metrics: /sightline_outlier_/, selectors: ['model=~"$model"'] },
    ],
    known: [
      'sightline_metrics_window_value',
      'sightline_metrics_alert_firing',
      'sightline_drift_feature_p_value',
    ],
    knownType: { name: 'sightline_metrics_pairs_joined_total', type: 'Counter' },
  },
  {
    file: 'explainer.json',
    uid: 'sightline-explainer',
    metricFiles: EXPLAINER_METRIC_FILES,
    owns: definedIn(EXPLAINER_METRIC_FILES[0]),
    filterRules: [{ metrics: /sightline_explainer_explanation/, selectors: ['method=~"$method"'] }],
    known: [
      'sightline_explainer_explanations_total',
      'sightline_explainer_jobs',
      'grpc_server_handled_total',
    ],
    knownType: { name: 'sightline_explainer_model_call_duration_seconds', type: 'Histogram' },
  },
];

/**
 * The series deploy/prometheus/rules.yaml records (`sightline:...`): a dashboard may show
 * them, since the same Prometheus evaluates those rules; a name missing here fails the test.
 */
const RECORDED: ReadonlySet<string> = new Set(
  (
    parse(readFileSync(deployPath('prometheus', 'rules.yaml'), 'utf8')) as {
      groups: { rules: { record?: string }[] }[];
    }
  ).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
);

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

  it('every expression selects only metrics the service defines or rules.yaml records', () => {
    expect(expressions.length).toBeGreaterThan(0);
    for (const { panel, expr } of [
      ...expressions,
      ...templateExpressions(dashboard).map((expr) => ({ panel: 'templating', expr })),
    ]) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr} selects a metric`).toBeGreaterThan(0);
      for (const name of names) {
        expect(
          exposed.has(name) || RECORDED.has(name),
          `${panel}: "${name}" is neither a series of ${definitions.map((d) => d.name).join(', ')} nor a recording rule of deploy/prometheus/rules.yaml`,
        ).toBe(true);
      }
    }
  });

  it('uses every one of the metrics it owns', () => {
    const used = new Set(
      expressions.flatMap(({ expr }) => metricNamesIn(expr)).map((n) => exposed.get(n)?.name),
    );
    const owned = definitions.filter(spec.owns);
    expect(owned.length).toBeGreaterThan(0);
    for (const d of owned) expect(used.has(d.name), `${d.name} on the dashboard`).toBe(true);
  });

  it('filters per-model, per-graph or per-detector panels by the dashboard variables', () => {
    for (const rule of spec.filterRules) {
      let filtered = 0;
      for (const { panel, expr } of expressions) {
        if (!rule.metrics.test(expr)) continue;
        filtered++;
        for (const selector of rule.selectors) expect(expr, panel).toContain(selector);
      }
      expect(filtered, `expressions matching ${rule.metrics}`).toBeGreaterThan(0);
    }
  });

  it('uses only the variables it defines', () => {
    const defined = new Set([
      '__rate_interval',
      '__interval',
      '__range',
      ...dashboard.templating.list.map((v) => v.name),
    ]);
    const json = JSON.stringify(dashboard.panels);
    for (const match of json.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
      expect(defined, `$${match[1]} in ${spec.file}`).toContain(match[1]);
    }
  });
});

/**
 * `expr` as Prometheus would receive it from Grafana: the range variables replaced by
 * durations, the others (always inside a quoted matcher value) by a regex matching anything.
 */
function asPrometheusQuery(expr: string): string {
  return expr
    .replace(/\$\{?__(rate_interval|interval|range)\}?/g, (_, name: string) =>
      name === 'range' ? '1h' : '5m',
    )
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
}

describe('the dashboards as a whole', () => {
  it('every query (panels and variables) parses as PromQL (promtool check rules)', () => {
    const rules = DASHBOARDS.flatMap((spec) => {
      const dashboard = loadDashboard(spec.file);
      return [
        ...allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
        ...templateExpressions(dashboard),
      ].map((expr, i) => ({
        record: `dashboard:${spec.uid.replaceAll('-', '_')}:${i}`,
        expr: asPrometheusQuery(expr),
      }));
    });
    expect(rules.length).toBeGreaterThan(100);
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-dashboards-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
      expect(runToolOk(PROMTOOL, ['check', 'rules', file])).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const files = readdirSync(deployPath('grafana', 'dashboards'))
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('every dashboard file is checked above, under its own uid', () => {
    expect(DASHBOARDS.map((d) => d.file).sort()).toEqual(files);
    expect(new Set(DASHBOARDS.map((d) => d.uid)).size).toBe(DASHBOARDS.length);
  });

  it('the prometheus-operator component ships each one unchanged as a ConfigMap for the Grafana sidecar', () => {
    const maps = ofKind(buildBaseWith(['prometheus-operator']), 'ConfigMap').filter(
      (m) => (m.metadata.labels as Record<string, string> | undefined)?.grafana_dashboard === '1',
    );
    const shipped = new Map(
      maps.flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([file, text]) => [file, text]),
      ),
    );
    expect([...shipped.keys()].sort()).toEqual(files);
    for (const file of files) {
      expect(shipped.get(file), file).toBe(readFileSync(deployPath('grafana', 'dashboards', file), 'utf8'));
    }
    for (const m of maps) expect(m.metadata.namespace, m.metadata.name).toBe('sightline-test');
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
