/**
 * The metrics service (`sightline.metrics.v1.MetricsService`, port 8004 in the local stack):
 * ground truth ("feedback") for logged predictions, windowed metrics with their intervals,
 * offline evaluation with the service's own code, concept drift, version comparison, the
 * annotation queue and alert rules, in plain types.
 *
 * Retried on UNAVAILABLE (they change nothing, or change it once): `sendFeedback` (the same
 * truth again is UNCHANGED), `getMetrics`, `computeMetrics`, `listConceptDrift`,
 * `compareVersions`, the gets and lists, `putAnnotationQueue` and `putAlertRule` (a replace).
 * Never retried: `deleteAnnotationQueue`, `deleteAlertRule` (a retry after a lost answer
 * would be NOT_FOUND), `leaseAnnotationItems` (a retry would lease more items) and
 * `answerAnnotationItem` (a retry after a lost answer leaves the same state, but the item's
 * lease may have moved on).
 */
import { metricsV1 } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import { pageSizeOf } from '../data/page-size.js';
import { alertStates, annotationItemStates, conceptDriftStates } from './metrics-enum-codecs.js';
import {
  type AlertRuleInput,
  type AnnotationAnswer,
  type AnnotationQueueInput,
  alertRuleMessage,
  annotationQueueMessage,
  answerOf,
  type CompareVersionsInput,
  type ComputePairs,
  compareVersionsRequest,
  computeMetricsRequest,
  DEFAULT_FEEDBACK_ROWS_PER_CALL,
  durationOf,
  type FeedbackInput,
  feedbackBatches,
  feedbackItemMessage,
  type GetMetricsOptions,
  getMetricsRequest,
  type SeriesSelection,
  selectorMessage,
} from './metrics-requests.js';
import {
  type Alert,
  type AlertRule,
  type AnnotationItem,
  type AnnotationQueue,
  alertOf,
  alertRuleOf,
  annotationItemOf,
  annotationQueueOf,
  type ComputedMetrics,
  type ConceptDriftStatus,
  comparisonOf,
  computedMetricsOf,
  conceptDriftStatusOf,
  type FeedbackResult,
  type FeedbackRowOutcome,
  feedbackOutcomeOf,
  type MetricsReport,
  metricsReportOf,
  type VersionComparison,
} from './metrics-results.js';

const service = metricsV1.MetricsServiceService;

/** What `sendFeedback` takes besides the inputs. */
export interface SendFeedbackOptions extends CallOptions {
  /** Rows per call at most (the service's --max-feedback-per-call); unset: 10000. */
  readonly rowsPerCall?: number;
  /** Called after each call with the inputs sent so far and in all (for a progress bar). */
  readonly onProgress?: (sent: number, total: number) => void;
}

/** Paging of a listing call. */
export interface PageOptions extends CallOptions {
  /** Entries per page; unset: the service's 100; at most 1000. */
  readonly pageSize?: number;
  /** The previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** A page and the token of the next one ('' after the last). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/** MetricsService calls on one address. */
export class MetricsClient {
  /**
   * @param caller - the shared call path.
   * @param address - the metrics service's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * Sends ground truth (SendFeedback), in calls of at most `rowsPerCall` rows, one after the
   * other; answers every row's outcome in the inputs' order, `item` indexing `inputs`. When a
   * call fails, the calls before it are stored and the error names how many inputs were sent.
   *
   * @throws InvalidArgumentError naming `items[i].<field>` (this batch's index) for a bad
   *   item (nothing of that call stored); ResourceExhaustedError over the service's limits.
   */
  async sendFeedback(
    inputs: readonly FeedbackInput[],
    options: SendFeedbackOptions = {},
  ): Promise<FeedbackResult> {
    const outcomes: FeedbackRowOutcome[] = [];
    const totals = { joined: 0, pending: 0, unchanged: 0, replaced: 0, rejected: 0, pairs: 0 };
    let sent = 0;
    for (const batch of feedbackBatches(inputs, options.rowsPerCall ?? DEFAULT_FEEDBACK_ROWS_PER_CALL)) {
      const request = { items: batch.map((input, i) => feedbackItemMessage(input, sent + i)) };
      const response = await this.caller.unary(
        this.address,
        service.sendFeedback,
        request,
        options,
        'idempotent',
      );
      for (const outcome of response.outcomes) outcomes.push(feedbackOutcomeOf(outcome, sent));
      totals.joined += response.joined;
      totals.pending += response.pending;
      totals.unchanged += response.unchanged;
      totals.replaced += response.replaced;
      totals.rejected += response.rejected;
      totals.pairs += response.pairs;
      sent += batch.length;
      options.onProgress?.(sent, inputs.length);
    }
    return { outcomes, ...totals };
  }

  /**
   * A series' metrics over a window, a time series (`stepMs`) or the last count windows
   * (GetMetrics).
   *
   * @throws NotFoundError for a model (or version, node) with no stored prediction;
   *   InvalidArgumentError naming the field; FailedPreconditionError when combined series
   *   differ in task or classes.
   */
  async getMetrics(
    series: SeriesSelection,
    options: GetMetricsOptions & CallOptions,
  ): Promise<MetricsReport> {
    const response = await this.caller.unary(
      this.address,
      service.getMetrics,
      getMetricsRequest(series, options),
      options,
      'idempotent',
    );
    return metricsReportOf(response);
  }

  /**
   * Evaluates pairs with the service's own metric code (ComputeMetrics); stores nothing.
   *
   * @throws InvalidArgumentError naming the field (a label outside `classes`, a count
   *   mismatch); ResourceExhaustedError over the service's pair limits.
   */
  async computeMetrics(
    pairs: ComputePairs,
    options: { readonly confidence?: number; readonly calibrationBins?: number } & CallOptions = {},
  ): Promise<ComputedMetrics> {
    const request = computeMetricsRequest(pairs, options);
    const response = await this.caller.unary(
      this.address,
      service.computeMetrics,
      request,
      options,
      'idempotent',
    );
    return computedMetricsOf(response);
  }

  /** The concept-drift detectors' states per series (ListConceptDrift), a page at a time. */
  async listConceptDrift(
    options: PageOptions & { readonly series?: SeriesSelection; readonly states?: readonly string[] } = {},
  ): Promise<Page<ConceptDriftStatus>> {
    const request = {
      series: selectorMessage(options.series ?? { modelName: '' }),
      states: (options.states ?? []).map((state) => conceptDriftStates.value(state, 'states')),
      pageSize: pageSizeOf(options.pageSize),
      pageToken: options.pageToken ?? '',
    };
    const response = await this.caller.unary(
      this.address,
      service.listConceptDrift,
      request,
      options,
      'idempotent',
    );
    return { items: response.detectors.map(conceptDriftStatusOf), nextPageToken: response.nextPageToken };
  }

  /**
   * Compares two versions or graph nodes on the same traffic (CompareVersions): the
   * difference with its interval, the test's p-value and a verdict.
   *
   * @throws NotFoundError for an unknown series; InvalidArgumentError for the same series
   *   twice or a metric of the other task; ResourceExhaustedError over the pair limits.
   */
  async compareVersions(input: CompareVersionsInput, options: CallOptions = {}): Promise<VersionComparison> {
    const response = await this.caller.unary(
      this.address,
      service.compareVersions,
      compareVersionsRequest(input),
      options,
      'idempotent',
    );
    return comparisonOf(response);
  }

  /** Creates or replaces a model's annotation queue (PutAnnotationQueue). */
  async putAnnotationQueue(
    queue: AnnotationQueueInput,
    options: CallOptions = {},
  ): Promise<{ readonly queue: AnnotationQueue; readonly created: boolean }> {
    const request = { queue: annotationQueueMessage(queue) };
    const response = await this.caller.unary(
      this.address,
      service.putAnnotationQueue,
      request,
      options,
      'idempotent',
    );
    return { queue: annotationQueueOf(response.queue), created: response.created };
  }

  /** A model's annotation queue and its counts. @throws NotFoundError when it has none. */
  async getAnnotationQueue(modelName: string, options: CallOptions = {}): Promise<AnnotationQueue> {
    const response = await this.caller.unary(
      this.address,
      service.getAnnotationQueue,
      { modelName },
      options,
      'idempotent',
    );
    return annotationQueueOf(response.queue);
  }

  /** Deletes a model's annotation queue and its open items. @throws NotFoundError when it has none. */
  async deleteAnnotationQueue(modelName: string, options: CallOptions = {}): Promise<void> {
    await this.caller.unary(this.address, service.deleteAnnotationQueue, { modelName }, options);
  }

  /** A queue's items without leasing them, highest priority first (default: open and leased). */
  async listAnnotationItems(
    modelName: string,
    options: PageOptions & { readonly states?: readonly string[] } = {},
  ): Promise<Page<AnnotationItem>> {
    const request = {
      modelName,
      states: (options.states ?? []).map((state) => annotationItemStates.value(state, 'states')),
      pageSize: pageSizeOf(options.pageSize),
      pageToken: options.pageToken ?? '',
    };
    const response = await this.caller.unary(
      this.address,
      service.listAnnotationItems,
      request,
      options,
      'idempotent',
    );
    return { items: response.items.map(annotationItemOf), nextPageToken: response.nextPageToken };
  }

  /** Leases the highest-priority open items to one annotator (none when the queue is empty). */
  async leaseAnnotationItems(
    modelName: string,
    annotator: string,
    options: CallOptions & { readonly maxItems?: number; readonly leaseMs?: number } = {},
  ): Promise<readonly AnnotationItem[]> {
    const request = {
      modelName,
      annotator,
      maxItems: options.maxItems ?? 0,
      ...(options.leaseMs !== undefined && { lease: durationOf(options.leaseMs, 'leaseMs') }),
    };
    const response = await this.caller.unary(this.address, service.leaseAnnotationItems, request, options);
    return response.items.map(annotationItemOf);
  }

  /**
   * Answers (or skips) an item: the answer is stored as feedback for its request and row.
   *
   * @throws NotFoundError for an unknown item; FailedPreconditionError while another
   *   annotator's lease lasts; InvalidArgumentError for a truth the prediction refutes.
   */
  async answerAnnotationItem(
    modelName: string,
    itemId: string,
    answer: AnnotationAnswer,
    options: CallOptions & { readonly annotator?: string } = {},
  ): Promise<{ readonly item: AnnotationItem; readonly feedback?: FeedbackRowOutcome }> {
    const request = { modelName, itemId, annotator: options.annotator ?? '', ...answerOf(answer) };
    const response = await this.caller.unary(this.address, service.answerAnnotationItem, request, options);
    return {
      item: annotationItemOf(response.item ?? metricsV1.AnnotationItem.fromPartial({})),
      ...(response.feedback !== undefined && { feedback: feedbackOutcomeOf(response.feedback) }),
    };
  }

  /** Creates or replaces an alert rule. @throws InvalidArgumentError naming the field. */
  async putAlertRule(
    rule: AlertRuleInput,
    options: CallOptions = {},
  ): Promise<{ readonly rule: AlertRule; readonly created: boolean }> {
    const request = { rule: alertRuleMessage(rule) };
    const response = await this.caller.unary(
      this.address,
      service.putAlertRule,
      request,
      options,
      'idempotent',
    );
    return { rule: alertRuleOf(response.rule), created: response.created };
  }

  /** Deletes an alert rule (a firing alert is resolved first). @throws NotFoundError. */
  async deleteAlertRule(name: string, options: CallOptions = {}): Promise<void> {
    await this.caller.unary(this.address, service.deleteAlertRule, { name }, options);
  }

  /** Alert rules in name order, a page at a time. */
  async listAlertRules(options: PageOptions = {}): Promise<Page<AlertRule>> {
    const request = { pageSize: pageSizeOf(options.pageSize), pageToken: options.pageToken ?? '' };
    const response = await this.caller.unary(
      this.address,
      service.listAlertRules,
      request,
      options,
      'idempotent',
    );
    return { items: response.rules.map(alertRuleOf), nextPageToken: response.nextPageToken };
  }

  /** Alerts with their state, firing first, a page at a time. */
  async listAlerts(
    options: PageOptions & { readonly modelName?: string; readonly states?: readonly string[] } = {},
  ): Promise<Page<Alert>> {
    const request = {
      modelName: options.modelName ?? '',
      states: (options.states ?? []).map((state) => alertStates.value(state, 'states')),
      pageSize: pageSizeOf(options.pageSize),
      pageToken: options.pageToken ?? '',
    };
    const response = await this.caller.unary(
      this.address,
      service.listAlerts,
      request,
      options,
      'idempotent',
    );
    return { items: response.alerts.map(alertOf), nextPageToken: response.nextPageToken };
  }
}
