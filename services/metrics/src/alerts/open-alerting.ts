/**
 * The alerting part of the metrics service, put together for the service's start: the engine
 * on the store's documents, its Prometheus series, the --alert-rules file and the timer.
 */
import type { Registry } from 'prom-client';
import { AlertEngine, type AlertEngineDeps } from './alert-engine.js';
import { AlertSeries } from './alert-series.js';
import { loadRulesFile } from './rules-file.js';

/** What the service passes in. */
export interface AlertingParts extends Omit<AlertEngineDeps, 'onEvaluated'> {
  /** The service's Prometheus registry (the alert series go there). */
  readonly registry: Registry;
  /** --alert-rules: a YAML or JSON rules file; none when undefined. */
  readonly rulesFile?: string;
  /** The clock of the timer's evaluations (Date.now). */
  readonly now?: () => number;
}

/**
 * Loads the stored rules and alerts, then the rules file (its rules replace stored ones of
 * their names), and starts evaluating every --alert-interval. Call `stop()` at shutdown.
 * @throws InvalidArgumentError naming the file, rule and field of a bad rules file (the start
 * fails); FailedPreconditionError for a corrupt stored rule or state.
 */
export async function openAlerting(parts: AlertingParts): Promise<AlertEngine> {
  const series = new AlertSeries(parts.registry);
  const engine = new AlertEngine({ ...parts, onEvaluated: (alerts) => series.evaluated(alerts) });
  // The file is read and checked before anything is stored: a bad file changes nothing.
  const fileRules = parts.rulesFile === undefined ? [] : await loadRulesFile(parts.rulesFile, parts.limits);
  await engine.load();
  await engine.putFileRules(fileRules);
  series.update(engine.alerts());
  engine.start(parts.now);
  return engine;
}
