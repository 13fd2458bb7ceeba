/**
 * Alert rules and their alerts: kept in the store's documents (rules in `alert_rules`, alert
 * states in `alert_states`), evaluated every --alert-interval by `evaluate(nowMs)`, with firing
 * and resolved transitions sent to an event sink. A restart loads both collections, so a
 * firing alert stays firing and sends no second FIRING event.
 *
 * Order of a transition: the new state is stored first, the event sent after. A crash between
 * the two loses that event (at most once) rather than sending it twice after the restart.
 */
import { randomUUID } from 'node:crypto';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import type { MetricsStore } from '../store/metrics-store.js';
import type { AlertOptions } from './alert-options.js';
import type { AlertReadings } from './alert-readings.js';
import {
  type AlertRuleInput,
  type AlertRuleLimits,
  type AlertRuleSpec,
  crosses,
  validateAlertRule,
} from './alert-rule.js';
import {
  ALERT_STATUS_SCHEMA_VERSION,
  type AlertStateName,
  type AlertStatus,
  type AlertTransitionName,
  newAlertStatus,
  nextAlertStatus,
  type Observation,
} from './alert-state.js';
import { comparedValue, readWindowMetric } from './metric-reading.js';

export const RULES_COLLECTION = 'alert_rules';
export const STATES_COLLECTION = 'alert_states';
/** Version of a saved rule document. */
export const ALERT_RULE_SCHEMA_VERSION = 1;
/** Page sizes of ListAlertRules and ListAlerts: 0 means 100, above 1000 is refused. */
export const DEFAULT_ALERT_PAGE_SIZE = 100;
export const MAX_ALERT_PAGE_SIZE = 1_000;

/** A firing or resolved alert, for the event pipeline. */
export interface AlertEventRecord {
  readonly eventId: string;
  readonly transition: AlertTransitionName;
  readonly rule: AlertRuleSpec;
  readonly segment?: { readonly name: string; readonly value: string };
  readonly value: number;
  readonly interval?: AlertStatus['interval'];
  readonly samples: number;
  /** When the alert started firing (for a resolution: that firing's start). */
  readonly firingMs: number;
  readonly timeMs: number;
}

/** Where AlertEvents go (the service's CloudEvents sink; a test's array). */
export interface AlertEventSink {
  emit(event: AlertEventRecord): void | Promise<void>;
}

/** An alert with its rule, as ListAlerts returns it. */
export interface AlertView {
  readonly rule: AlertRuleSpec;
  readonly status: AlertStatus;
}

/** What the engine needs. */
export interface AlertEngineDeps {
  readonly store: Pick<MetricsStore, 'putDocument' | 'listDocuments' | 'deleteDocument'>;
  readonly readings: AlertReadings;
  readonly sink: AlertEventSink;
  readonly limits: AlertRuleLimits;
  readonly options: AlertOptions;
  /** Called after each evaluation with every alert (the Prometheus series). */
  readonly onEvaluated?: (alerts: readonly AlertView[]) => void;
  /** Where a failed evaluation of one rule is reported (the service's logger). */
  readonly onRuleError?: (rule: string, error: unknown) => void;
}

const stateRank: Record<AlertStateName, number> = { firing: 0, pending: 1, inactive: 2 };
const driftLevel = { stable: 0, warning: 1, drift: 2 } as const;
/** Saved alert ids: the rule, then the segment value ('' for the whole series). */
const stateId = (rule: string, segmentValue: string | undefined) =>
  segmentValue === undefined ? `${rule}/` : `${rule}/=${segmentValue}`;

/** The alert rules and alerts of a metrics service. */
export class AlertEngine {
  readonly #deps: AlertEngineDeps;
  readonly #rules = new Map<string, AlertRuleSpec>();
  /** Per rule: its alerts by segment value (undefined key '' for the whole series). */
  readonly #alerts = new Map<string, Map<string, AlertStatus>>();
  /** Per model: the expired-feedback running total at each evaluation, oldest first. */
  readonly #expiredHistory = new Map<string, Array<{ timeMs: number; total: number }>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: AlertEngineDeps) {
    this.#deps = deps;
  }

  /** Loads the stored rules and alert states (at start, before the first evaluation). */
  async load(): Promise<void> {
    for await (const doc of this.#documents(RULES_COLLECTION)) {
      const saved = parseDocument<{ schemaVersion: number; rule: AlertRuleSpec }>(RULES_COLLECTION, doc);
      if (saved.schemaVersion !== ALERT_RULE_SCHEMA_VERSION)
        throw new FailedPreconditionError(
          `alert rule ${doc.id}: stored schemaVersion ${saved.schemaVersion}, this service reads ${ALERT_RULE_SCHEMA_VERSION}`,
        );
      this.#rules.set(saved.rule.name, saved.rule);
    }
    for await (const doc of this.#documents(STATES_COLLECTION)) {
      const saved = parseDocument<AlertStatus & { schemaVersion: number; value: number | null }>(
        STATES_COLLECTION,
        doc,
      );
      if (saved.schemaVersion !== ALERT_STATUS_SCHEMA_VERSION || !this.#rules.has(saved.rule)) continue;
      const { schemaVersion: _, ...status } = saved;
      this.#alertsOf(saved.rule).set(saved.segment?.value ?? '', {
        ...status,
        value: status.value ?? Number.NaN,
      });
    }
  }

  /**
   * Puts the rules of the --alert-rules file: each replaces an RPC rule of its name.
   * @throws ResourceExhaustedError past --max-alert-rules.
   */
  async putFileRules(rules: readonly AlertRuleSpec[]): Promise<void> {
    for (const rule of rules) await this.#put(rule);
  }

  /**
   * Creates or replaces a rule (validated, defaults filled in). A replaced rule keeps its
   * alerts' states; the next evaluation judges them by the new rule.
   */
  async putRule(input: AlertRuleInput): Promise<{ rule: AlertRuleSpec; created: boolean }> {
    const rule = validateAlertRule(input, this.#deps.limits);
    return { rule, created: await this.#put(rule) };
  }

  async #put(rule: AlertRuleSpec): Promise<boolean> {
    const created = !this.#rules.has(rule.name);
    if (created && this.#rules.size >= this.#deps.options.maxRules)
      throw new ResourceExhaustedError(
        `rule.name: ${this.#rules.size} alert rules exist, the most --max-alert-rules allows; delete one first`,
      );
    await this.#deps.store.putDocument(
      RULES_COLLECTION,
      rule.name,
      JSON.stringify({ schemaVersion: ALERT_RULE_SCHEMA_VERSION, rule }),
    );
    this.#rules.set(rule.name, rule);
    return created;
  }

  /** Deletes a rule and its alerts; a firing alert is resolved first (an AlertEvent). */
  async deleteRule(name: string, nowMs: number): Promise<void> {
    const rule = this.#rules.get(name);
    if (rule === undefined) throw new NotFoundError(`name: no alert rule named ${JSON.stringify(name)}`);
    for (const [key, status] of this.#alertsOf(name)) await this.#retire(rule, key, status, nowMs);
    this.#alerts.delete(name);
    await this.#deps.store.deleteDocument(RULES_COLLECTION, name);
    this.#rules.delete(name);
  }

  /** Rules in name order, a page at a time (the token is the last name of the page). */
  listRules(pageSize: number, pageToken: string): { rules: AlertRuleSpec[]; nextPageToken: string } {
    const size = checkPageSize(pageSize);
    const names = [...this.#rules.keys()].sort().filter((n) => pageToken === '' || n > pageToken);
    const page = names.slice(0, size);
    return {
      rules: page.map((n) => this.#rules.get(n)!),
      nextPageToken: names.length > size ? page[page.length - 1]! : '',
    };
  }

  /** Alerts, firing first, then pending, then by rule name and segment value, a page at a time. */
  listAlerts(query: {
    modelName?: string;
    states?: readonly AlertStateName[];
    pageSize: number;
    pageToken: string;
  }): { alerts: AlertView[]; nextPageToken: string } {
    const size = checkPageSize(query.pageSize);
    let offset = 0;
    if (query.pageToken !== '') {
      offset = Number(query.pageToken);
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new InvalidArgumentError(
          `page_token: not a token this service gave, got ${JSON.stringify(query.pageToken)}`,
        );
    }
    const all = this.alerts().filter(
      (a) =>
        (query.modelName === undefined ||
          query.modelName === '' ||
          a.rule.series.modelName === query.modelName) &&
        (query.states === undefined || query.states.length === 0 || query.states.includes(a.status.state)),
    );
    const page = all.slice(offset, offset + size);
    return { alerts: page, nextPageToken: offset + size < all.length ? String(offset + size) : '' };
  }

  /** Every alert, in ListAlerts' order. */
  alerts(): AlertView[] {
    const out: AlertView[] = [];
    for (const [name, rule] of this.#rules) {
      for (const status of this.#alertsOf(name).values()) out.push({ rule, status });
    }
    return out.sort(
      (a, b) =>
        stateRank[a.status.state] - stateRank[b.status.state] ||
        (a.rule.name < b.rule.name ? -1 : a.rule.name > b.rule.name ? 1 : 0) ||
        ((a.status.segment?.value ?? '') < (b.status.segment?.value ?? '') ? -1 : 1),
    );
  }

  /**
   * Evaluates every rule at `nowMs`: reads each alert's metric over the trailing window, moves
   * its state, stores changed states and sends the transitions. A rule that fails to evaluate
   * leaves its alerts INACTIVE with the failure as reason (a firing one resolves) and the
   * others go on.
   */
  async evaluate(nowMs: number): Promise<void> {
    await this.#recordExpiredTotals(nowMs);
    for (const rule of [...this.#rules.values()]) {
      let observations: Map<string, { segment?: AlertStatus['segment']; seen: Observation }>;
      try {
        observations = await this.#observe(rule, nowMs);
      } catch (error) {
        this.#deps.onRuleError?.(rule.name, error);
        const reason = `evaluation failed: ${(error as Error).message}`;
        observations = new Map(
          [...this.#alertsOf(rule.name)].map(([key, s]) => [
            key,
            {
              ...(s.segment ? { segment: s.segment } : {}),
              seen: { holds: false, value: Number.NaN, samples: 0, reason },
            },
          ]),
        );
      }
      if (!this.#rules.has(rule.name)) continue; // deleted while its metric was read
      const alerts = this.#alertsOf(rule.name);
      for (const [key, status] of [...alerts]) {
        // An alert whose segment value is no longer watched (the rule changed) goes away.
        if (!observations.has(key)) await this.#retire(rule, key, status, nowMs);
      }
      for (const [key, { segment, seen }] of observations) {
        const known = alerts.get(key);
        const previous = known ?? newAlertStatus(rule.name, segment, nowMs);
        const { status, transition } = nextAlertStatus(previous, seen, nowMs, rule.forMs);
        alerts.set(key, status);
        // Only a new alert or a state change is written: values change every evaluation and
        // are read again after a restart anyway.
        if (
          known === undefined ||
          status.state !== previous.state ||
          status.stateSinceMs !== previous.stateSinceMs
        )
          await this.#save(status);
        if (transition !== undefined) await this.#emit(rule, status, previous, transition, nowMs);
      }
    }
    this.#deps.onEvaluated?.(this.alerts());
  }

  /** Evaluates every --alert-interval until `stop()`; evaluations never overlap. */
  start(now: () => number = Date.now): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.evaluate(now())
        .catch((error: unknown) => this.#deps.onRuleError?.('*', error))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#deps.options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for an evaluation under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #observe(
    rule: AlertRuleSpec,
    nowMs: number,
  ): Promise<Map<string, { segment?: AlertStatus['segment']; seen: Observation }>> {
    const out = new Map<string, { segment?: AlertStatus['segment']; seen: Observation }>();
    const readings = this.#deps.readings;
    if (rule.metric === 'pending_feedback' || rule.metric === 'expired_feedback') {
      // Model-wide counts: the version, node and segment do not apply.
      const value =
        rule.metric === 'pending_feedback'
          ? await readings.pendingFeedback(rule.series.modelName)
          : this.#expiredDuring(rule.series.modelName, nowMs - rule.windowMs);
      out.set('', { seen: this.#judge(rule, { value, samples: value }, false) });
      return out;
    }
    if (rule.metric === 'concept_drift_state') {
      const drift = await readings.conceptDrift(rule.series);
      if (drift.states.length === 0) {
        out.set('', {
          seen: unreadable(`no series of model ${JSON.stringify(rule.series.modelName)} seen`, 0),
        });
        return out;
      }
      let level = 0;
      for (const states of drift.states) {
        for (const [name, state] of Object.entries(states)) {
          if (rule.conceptDriftDetector === undefined || rule.conceptDriftDetector === name)
            level = Math.max(level, driftLevel[state]);
        }
      }
      out.set('', {
        seen: this.#judge(rule, { value: level, samples: drift.pairsSeen, unit: 'pairs seen' }),
      });
      return out;
    }
    const segments: Array<AlertStatus['segment']> =
      rule.segment === undefined
        ? [undefined]
        : rule.segment.value !== ''
          ? [rule.segment]
          : (await readings.segmentValues(rule.series, rule.segment.name)).map((value) => ({
              name: rule.segment!.name,
              value,
            }));
    for (const segment of segments) {
      const window = await readings.windowMetrics(rule.series, segment, nowMs - rule.windowMs, nowMs, {
        confidence: rule.confidence,
        // The F1 bootstrap (~11 ms a window) only where the comparison reads its interval.
        f1Interval: rule.useInterval && (rule.metric === 'macro_f1' || rule.metric === 'weighted_f1'),
        ...(rule.reference !== undefined ? { reference: rule.reference } : {}),
      });
      const seen =
        window === undefined
          ? unreadable(`no series of model ${JSON.stringify(rule.series.modelName)} seen`, 0)
          : (() => {
              const reading = readWindowMetric(rule, window);
              return reading.ok
                ? this.#judge(rule, {
                    value: reading.value,
                    samples: reading.samples,
                    unit: reading.sampleUnit,
                    ...(reading.interval !== undefined ? { interval: reading.interval } : {}),
                  })
                : unreadable(reading.reason, reading.samples);
            })();
      out.set(segment?.value ?? '', { ...(segment !== undefined ? { segment } : {}), seen });
    }
    return out;
  }

  #judge(
    rule: AlertRuleSpec,
    reading: { value: number; samples: number; unit?: string; interval?: AlertStatus['interval'] },
    checkSamples = true,
  ): Observation {
    const base = {
      value: reading.value,
      samples: reading.samples,
      ...(reading.interval !== undefined ? { interval: reading.interval } : {}),
    };
    if (checkSamples && reading.samples < rule.minSamples)
      return {
        ...base,
        holds: false,
        reason: `${reading.samples} ${reading.unit} of the ${rule.minSamples} needed`,
      };
    if (Number.isNaN(reading.value))
      return { ...base, holds: false, reason: 'the metric is undefined (NaN) on this window' };
    const compared = comparedValue(rule, reading.value, reading.interval);
    return { ...base, holds: crosses(rule.comparison, compared, rule.threshold), reason: '' };
  }

  async #recordExpiredTotals(nowMs: number): Promise<void> {
    const models = new Set<string>();
    let longest = 0;
    for (const rule of this.#rules.values()) {
      if (rule.metric !== 'expired_feedback') continue;
      models.add(rule.series.modelName);
      longest = Math.max(longest, rule.windowMs);
    }
    for (const model of [...this.#expiredHistory.keys()])
      if (!models.has(model)) this.#expiredHistory.delete(model);
    for (const model of models) {
      let total: number;
      try {
        total = await this.#deps.readings.expiredFeedbackTotal(model);
      } catch (error) {
        // The model's EXPIRED_FEEDBACK rules read the samples they have; the next evaluation retries.
        this.#deps.onRuleError?.(`expired_feedback of ${model}`, error);
        continue;
      }
      const history = this.#expiredHistory.get(model) ?? [];
      history.push({ timeMs: nowMs, total });
      // Keep one sample at or before the longest window's start, drop older ones (bounded).
      while (history.length > 1 && history[1]!.timeMs <= nowMs - longest) history.shift();
      this.#expiredHistory.set(model, history);
    }
  }

  /**
   * Expiries since `fromMs`: the running total now minus the total at the last evaluation at or
   * before `fromMs` (or the first this process made, when it started within the window).
   */
  #expiredDuring(model: string, fromMs: number): number {
    const history = this.#expiredHistory.get(model) ?? [];
    if (history.length === 0) return 0;
    let base = history[0]!;
    for (const sample of history) if (sample.timeMs <= fromMs) base = sample;
    return history[history.length - 1]!.total - base.total;
  }

  async #retire(rule: AlertRuleSpec, key: string, status: AlertStatus, nowMs: number): Promise<void> {
    await this.#deps.store.deleteDocument(STATES_COLLECTION, stateId(rule.name, status.segment?.value));
    this.#alertsOf(rule.name).delete(key);
    if (status.state === 'firing') await this.#emit(rule, status, status, 'resolved', nowMs);
  }

  async #save(status: AlertStatus): Promise<void> {
    await this.#deps.store.putDocument(
      STATES_COLLECTION,
      stateId(status.rule, status.segment?.value),
      JSON.stringify({ schemaVersion: ALERT_STATUS_SCHEMA_VERSION, ...status }),
    );
  }

  async #emit(
    rule: AlertRuleSpec,
    status: AlertStatus,
    previous: AlertStatus,
    transition: AlertTransitionName,
    nowMs: number,
  ): Promise<void> {
    await this.#deps.sink.emit({
      eventId: randomUUID(),
      transition,
      rule,
      ...(status.segment !== undefined ? { segment: status.segment } : {}),
      value: status.value,
      ...(status.interval !== undefined ? { interval: status.interval } : {}),
      samples: status.samples,
      firingMs: transition === 'firing' ? nowMs : (previous.firingSinceMs ?? previous.stateSinceMs),
      timeMs: nowMs,
    });
  }

  #alertsOf(rule: string): Map<string, AlertStatus> {
    const alerts = this.#alerts.get(rule) ?? new Map<string, AlertStatus>();
    this.#alerts.set(rule, alerts);
    return alerts;
  }

  async *#documents(collection: string) {
    let after: string | undefined;
    do {
      const page = await this.#deps.store.listDocuments(collection, after === undefined ? {} : { after });
      yield* page.documents;
      after = page.next;
    } while (after !== undefined);
  }
}

/** A stored document's JSON. @throws FailedPreconditionError naming a corrupt one (the start fails, nothing is overwritten). */
function parseDocument<T>(collection: string, doc: { id: string; json: string }): T {
  try {
    return JSON.parse(doc.json) as T;
  } catch (error) {
    throw new FailedPreconditionError(
      `${collection} document ${JSON.stringify(doc.id)}: not JSON (${(error as Error).message}); restore it or delete it`,
    );
  }
}

function unreadable(reason: string, samples: number): Observation {
  return { holds: false, value: Number.NaN, samples, reason };
}

function checkPageSize(pageSize: number): number {
  if (pageSize > MAX_ALERT_PAGE_SIZE)
    throw new InvalidArgumentError(`page_size: must be at most ${MAX_ALERT_PAGE_SIZE}, got ${pageSize}`);
  return pageSize === 0 ? DEFAULT_ALERT_PAGE_SIZE : pageSize;
}
