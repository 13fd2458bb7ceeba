/**
 * The alerts' Prometheus series, so that Alertmanager can page on them:
 *
 * - `sightline_metrics_alert_firing` 1 while an alert fires, else 0;
 * - `sightline_metrics_alert_state` 0 inactive, 1 pending, 2 firing;
 * - `sightline_metrics_alert_value` the watched metric at the last evaluation (absent while
 *   it cannot be read);
 * - `sightline_metrics_alert_samples` the samples it rested on;
 * - `sightline_metrics_alert_evaluations_total` evaluations run.
 *
 * Labels: rule, model_name, model_version and node (`*` where the rule combines every
 * version or node), segment and segment_value ('' for the whole series), metric, class_label,
 * then each of the rules' own labels (e.g. severity; '' on alerts whose rule lacks it). The
 * label names change when a rule brings a new label key, so the gauges are rebuilt then.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertView } from './alert-engine.js';

const BASE_LABELS = [
  'rule',
  'model_name',
  'model_version',
  'node',
  'segment',
  'segment_value',
  'metric',
  'class_label',
] as const;
const STATE_VALUE = { inactive: 0, pending: 1, firing: 2 } as const;

/** The series' names (the Gauge and Counter calls below spell them out for deploy/test's check). */
export const ALERT_SERIES_NAMES = {
  firing: 'sightline_metrics_alert_firing',
  state: 'sightline_metrics_alert_state',
  value: 'sightline_metrics_alert_value',
  samples: 'sightline_metrics_alert_samples',
  evaluations: 'sightline_metrics_alert_evaluations_total',
} as const;

/** The alert gauges on a registry; `update` after each evaluation. */
export class AlertSeries {
  readonly #registry: Registry;
  readonly #evaluations: Counter;
  #labelKeys: string[] = [];
  #gauges: { firing: Gauge; state: Gauge; value: Gauge; samples: Gauge } | undefined;

  constructor(registry: Registry) {
    this.#registry = registry;
    this.#evaluations = new Counter({
      name: 'sightline_metrics_alert_evaluations_total',
      help: 'Alert rule evaluations run (every --alert-interval).',
      registers: [registry],
    });
  }

  /** After an evaluation: counts it and sets every alert's series. */
  evaluated(alerts: readonly AlertView[]): void {
    this.#evaluations.inc();
    this.update(alerts);
  }

  /** Sets every alert's series (and drops those of alerts that are gone). */
  update(alerts: readonly AlertView[]): void {
    const keys = [...new Set(alerts.flatMap((a) => Object.keys(a.rule.labels)))].sort();
    if (this.#gauges === undefined || keys.join('\n') !== this.#labelKeys.join('\n')) this.#rebuild(keys);
    const gauges = this.#gauges!;
    for (const gauge of Object.values(gauges)) gauge.reset();
    for (const { rule, status } of alerts) {
      const labels: Record<string, string> = {
        rule: rule.name,
        model_name: rule.series.modelName,
        model_version: rule.series.modelVersion ?? '*',
        node: rule.series.node ?? '*',
        segment: status.segment?.name ?? rule.segment?.name ?? '',
        segment_value: status.segment?.value ?? '',
        metric: rule.metric,
        class_label: rule.classLabel,
      };
      for (const key of this.#labelKeys) labels[key] = rule.labels[key] ?? '';
      gauges.firing.set(labels, status.state === 'firing' ? 1 : 0);
      gauges.state.set(labels, STATE_VALUE[status.state]);
      gauges.samples.set(labels, status.samples);
      if (Number.isFinite(status.value)) gauges.value.set(labels, status.value);
    }
  }

  #rebuild(keys: string[]): void {
    for (const name of [
      ALERT_SERIES_NAMES.firing,
      ALERT_SERIES_NAMES.state,
      ALERT_SERIES_NAMES.value,
      ALERT_SERIES_NAMES.samples,
    ])
      this.#registry.removeSingleMetric(name);
    this.#labelKeys = keys;
    const labelNames = [...BASE_LABELS, ...keys];
    const registers = [this.#registry];
    this.#gauges = {
      firing: new Gauge({
        name: 'sightline_metrics_alert_firing',
        help: 'Whether a Sightline alert fires (1) or not (0).',
        labelNames,
        registers,
      }),
      state: new Gauge({
        name: 'sightline_metrics_alert_state',
        help: "A Sightline alert's state: 0 inactive, 1 pending, 2 firing.",
        labelNames,
        registers,
      }),
      value: new Gauge({
        name: 'sightline_metrics_alert_value',
        help: "The value of a Sightline alert's metric at the last evaluation.",
        labelNames,
        registers,
      }),
      samples: new Gauge({
        name: 'sightline_metrics_alert_samples',
        help: "Samples the alert's metric rested on at the last evaluation.",
        labelNames,
        registers,
      }),
    };
  }
}
