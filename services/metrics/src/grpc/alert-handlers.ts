/**
 * The alert RPCs of MetricsService: each converts the message, makes one AlertEngine call and
 * converts the answer; service-kit's `unary` adds spans, metrics, logs and error statuses.
 */
import type { metricsV1 } from '@sightline/contracts';
import { type CallKit, decoded, unary } from '@sightline/service-kit';
import type { AlertEngine } from '../alerts/alert-engine.js';
import {
  alertToMessage,
  ruleFromMessage,
  ruleToMessage,
  statesFromMessage,
} from '../contract/alert-messages.js';

const SERVICE = 'sightline.metrics.v1.MetricsService';

/** What the alert handlers need. */
export interface AlertDeps {
  readonly alerts: Pick<AlertEngine, 'putRule' | 'deleteRule' | 'listRules' | 'listAlerts'>;
  /** The clock (a deleted firing rule's RESOLVED event is stamped with it). */
  readonly now: () => number;
}

export type AlertHandlers = Pick<
  metricsV1.MetricsServiceServer,
  'putAlertRule' | 'deleteAlertRule' | 'listAlertRules' | 'listAlerts'
>;

/** PutAlertRule, DeleteAlertRule, ListAlertRules and ListAlerts. */
export function alertHandlers(kit: CallKit, deps: AlertDeps): AlertHandlers {
  const m = (name: string) => `${SERVICE}/${name}`;
  return {
    putAlertRule: unary(kit, m('PutAlertRule'), async (message: metricsV1.PutAlertRuleRequest) => {
      const req = decoded(message, 'PutAlertRuleRequest');
      const { rule, created } = await deps.alerts.putRule(ruleFromMessage(req.rule));
      return { rule: ruleToMessage(rule), created };
    }),
    deleteAlertRule: unary(kit, m('DeleteAlertRule'), async (message: metricsV1.DeleteAlertRuleRequest) => {
      await deps.alerts.deleteRule(decoded(message, 'DeleteAlertRuleRequest').name, deps.now());
      return {};
    }),
    listAlertRules: unary(kit, m('ListAlertRules'), async (message: metricsV1.ListAlertRulesRequest) => {
      const req = decoded(message, 'ListAlertRulesRequest');
      const page = deps.alerts.listRules(req.pageSize, req.pageToken);
      return { rules: page.rules.map(ruleToMessage), nextPageToken: page.nextPageToken };
    }),
    listAlerts: unary(kit, m('ListAlerts'), async (message: metricsV1.ListAlertsRequest) => {
      const req = decoded(message, 'ListAlertsRequest');
      const page = deps.alerts.listAlerts({
        modelName: req.modelName,
        states: statesFromMessage(req.states),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { alerts: page.alerts.map(alertToMessage), nextPageToken: page.nextPageToken };
    }),
  };
}
