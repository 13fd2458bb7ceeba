/**
 * The outlier service's data plane: the one facade every transport calls (gRPC, the live
 * event stream). It runs the detectors' life cycle, scores live events in batches per
 * detector into OutlierEvents (stored with group commit, counted, sent to the sink), and
 * scans stored events for ScoreHistory. Plain TypeScript: no gRPC or generated types.
 */
import { type Link, type Span, SpanStatusCode, TraceFlags, type Tracer } from '@opentelemetry/api';
import { type EventSelector, eventPages, type FitProgress, matchesAttachment } from '@sightline/detect';
import {
  type Cancellation,
  InvalidArgumentError,
  NEVER_CANCELLED,
  UnavailableError,
} from '@sightline/errors';
import type { EventReader, InferenceEvent } from '@sightline/events';
import type { Tensor } from '@sightline/tensor';
import type { FitReference, OutlierDetectors, ScoringTarget } from '../detectors/outlier-detectors.js';
import type { OutlierMetrics } from '../observability/outlier-metrics.js';
import type { OutlierEventLog, OutlierEventPage, OutlierEventQuery } from '../results/outlier-event-log.js';
import type {
  BatchScores,
  DetectorSpec,
  DetectorView,
  EventVerdict,
  HistoryPage,
  OutlierEventRecord,
  Prediction,
  RefusedDetector,
  VersionLineage,
} from './outlier-types.js';

/** ScoreHistory's verdicts per message when the call sets none (contract). */
export const DEFAULT_HISTORY_PAGE_SIZE = 1000;
/** ScoreHistory's largest page (contract). */
export const MAX_HISTORY_PAGE_SIZE = 10_000;
/** How often ScoreHistory sends progress alone while no page fills, in ms (contract: about once a second). */
export const HISTORY_PROGRESS_INTERVAL_MS = 1000;
/** Most trace links on one scored batch's span (the events' traces beyond it are not linked). */
export const MAX_SPAN_LINKS = 128;
/** Stored events read per query by ScoreHistory. */
export const HISTORY_READ_PAGE_EVENTS = 1000;

/** Limits the data plane checks (the service's settings). */
export interface DataPlaneLimits {
  /** --max-history-range-ms */
  readonly maxHistoryRangeMs: number;
}

/** Options of {@link OutlierDataPlane}. */
export interface OutlierDataPlaneOptions {
  readonly detectors: OutlierDetectors;
  readonly log: OutlierEventLog;
  readonly metrics: OutlierMetrics;
  readonly tracer: Tracer;
  readonly limits: DataPlaneLimits;
  /** The stored events (undefined: none configured). */
  readonly reader: () => EventReader | undefined;
  /** The settings that configure the reader, named when there is none. */
  readonly readerSetting: string;
  /** Checks the reader can be read now (the events directory exists). */
  readonly checkReader?: () => Promise<void>;
  /** Where OutlierEvents are also sent (the CloudEvents sink). */
  readonly sink?: { send(record: OutlierEventRecord): void };
  readonly now: () => number;
  readonly onError: (message: string, error: unknown) => void;
}

/** What a ScoreHistory call asks for. */
export interface HistoryRequest {
  readonly name: string;
  readonly fromUnixMs: number;
  readonly toUnixMs: number;
  readonly selector?: EventSelector;
  readonly pageSize: number;
  readonly outliersOnly: boolean;
}

/** The W3C trace id and span id of an event's traceparent, or undefined. */
function traceOf(event: InferenceEvent): { traceId: string; spanId: string } | undefined {
  const parts = event.trace?.traceparent.split('-');
  if (!parts || parts.length < 4 || parts[1]!.length !== 32 || parts[2]!.length !== 16) return undefined;
  return { traceId: parts[1]!, spanId: parts[2]! };
}

/** One event's rows read by a target. */
interface ReadEvent {
  readonly event: InferenceEvent;
  readonly start: number;
  readonly rows: number;
}

/** The facade of the outlier service. */
export class OutlierDataPlane {
  private readonly pendingWork = new Set<Promise<unknown>>();

  constructor(private readonly options: OutlierDataPlaneOptions) {}

  /** Saved detectors refused at load. */
  get refused(): readonly RefusedDetector[] {
    return this.options.detectors.refused;
  }

  createDetector(spec: DetectorSpec): Promise<DetectorView> {
    return this.options.detectors.create(spec);
  }

  /**
   * Fits a detector on tensors or a stored range (read through the event store).
   * @throws as OutlierDetectors.fit; UnavailableError / FailedPreconditionError for the event store.
   */
  async fit(
    request: {
      readonly name: string;
      readonly data?: readonly Tensor[];
      readonly referenceEvents?: { fromUnixMs: number; toUnixMs: number; selector: EventSelector };
      readonly creator: string;
      readonly referenceSource: string;
    },
    cancellation: Cancellation = NEVER_CANCELLED,
    onProgress?: (progress: FitProgress) => void,
  ): Promise<DetectorView> {
    let reference: FitReference;
    if (request.referenceEvents) {
      const { fromUnixMs, toUnixMs, selector } = request.referenceEvents;
      this.checkRange(fromUnixMs, toUnixMs, 'reference_events.range');
      reference = {
        stored: { reader: await this.reader(), fromUnixMs, toUnixMs, selector, cancellation },
      };
    } else {
      reference = { tensors: request.data ?? [] };
    }
    const started = Date.now();
    let reported = false;
    const view = await this.options.detectors.fit(
      request.name,
      reference,
      { creator: request.creator, referenceSource: request.referenceSource },
      {
        cancellation,
        ...(onProgress
          ? {
              onProgress: (progress: FitProgress) => {
                reported = true;
                onProgress(progress);
              },
            }
          : {}),
      },
    );
    // Kinds fitted in one step (iforest, mahalanobis) report once, when done (contract).
    if (onProgress && !reported) {
      onProgress({
        epoch: 1,
        epochs: 1,
        loss: 0,
        elapsedSeconds: (Date.now() - started) / 1000,
        backend: '',
      });
    }
    return view;
  }

  inferThreshold(
    name: string,
    data: readonly Tensor[],
    rule: { thresholdPercentile?: number; expectedFalsePositiveRate?: number },
  ): Promise<{ threshold: number; detector: DetectorView }> {
    return this.options.detectors.inferThreshold(name, data, rule);
  }

  score(name: string, data: readonly Tensor[]): BatchScores {
    return this.options.detectors.score(name, data);
  }

  predict(
    name: string,
    data: readonly Tensor[],
    options: { returnInstanceScore: boolean; returnFeatureScore: boolean },
  ): Promise<Prediction> {
    return this.options.detectors.predict(name, data, options);
  }

  attach(name: string, selector: EventSelector | undefined): Promise<DetectorView> {
    return this.options.detectors.attach(name, selector);
  }

  detach(name: string): Promise<DetectorView> {
    return this.options.detectors.detach(name);
  }

  getDetector(name: string): Promise<{ detector: DetectorView; versions: VersionLineage[] }> {
    return this.options.detectors.get(name);
  }

  listDetectors(pageSize: number, pageToken: string): { detectors: DetectorView[]; nextPageToken: string } {
    return this.options.detectors.list(pageSize, pageToken);
  }

  deleteDetector(name: string): Promise<void> {
    return this.options.detectors.delete(name);
  }

  listOutlierEvents(query: OutlierEventQuery): Promise<OutlierEventPage> {
    return this.options.log.list(query);
  }

  /**
   * Scores a batch of live events with every attached detector whose selector matches them,
   * one score call per detector, and stores an OutlierEvent per scored event (resolves once
   * they are on disk).
   */
  ingest(events: readonly InferenceEvent[]): Promise<void> {
    const work = this.scoreLive(events);
    this.pendingWork.add(work);
    return work.finally(() => this.pendingWork.delete(work));
  }

  /** Resolves once every live batch begun so far is scored and stored. */
  async settled(): Promise<void> {
    while (this.pendingWork.size > 0) await Promise.allSettled([...this.pendingWork]);
    await this.options.log.flushed();
  }

  private async scoreLive(events: readonly InferenceEvent[]): Promise<void> {
    const targets = this.options.detectors.liveTargets();
    if (targets.length === 0) return;
    const records: OutlierEventRecord[] = [];
    const updates: Promise<void>[] = [];
    for (const target of targets) {
      const matching = events.filter((event) => matchesAttachment(target.attachment, event));
      if (matching.length === 0) continue;
      const links: Link[] = [];
      for (const event of matching) {
        if (links.length >= MAX_SPAN_LINKS) break;
        const trace = traceOf(event);
        if (trace) links.push({ context: { ...trace, traceFlags: TraceFlags.SAMPLED } });
      }
      const span = this.options.tracer.startSpan('outlier.score_live_batch', {
        links,
        attributes: {
          'sightline.detector': target.name,
          'sightline.detector_version': target.version,
          'sightline.events': matching.length,
        },
      });
      try {
        const scored = this.scoreEvents(target, matching, (reason, count) =>
          this.options.metrics.unreadable(target.name, reason, count),
        );
        if (!scored) continue;
        const timeUnixMs = this.options.now();
        const perModel = new Map<string, { scores: number[]; flagged: number }>();
        for (const read of scored.read) {
          const record = this.recordOf(target, read, scored.scores, timeUnixMs);
          records.push(record);
          const tally = perModel.get(record.modelName) ?? { scores: [], flagged: 0 };
          tally.scores.push(record.score);
          if (record.isOutlier) tally.flagged++;
          perModel.set(record.modelName, tally);
        }
        for (const [model, tally] of perModel) {
          this.options.metrics.liveScored(target.name, model, tally.scores, tally.flagged);
        }
        span.setAttribute('sightline.outlier_events', scored.read.length);
        if (target.updateFromLive) {
          const threshold = target.threshold;
          updates.push(
            this.options.detectors.updateFromLive(
              target,
              scored.values,
              scored.scores.length,
              (row) => !(scored.scores[row]! > threshold),
            ),
          );
        }
      } catch (error) {
        this.failed(span, target.name, error);
      } finally {
        span.end();
      }
    }
    await Promise.all(
      updates.map((update) => update.catch((error) => this.options.onError('live update failed', error))),
    );
    await this.options.log.append(records);
    if (this.options.sink) for (const record of records) this.options.sink.send(record);
  }

  private failed(span: Span, detector: string, error: unknown): void {
    this.options.metrics.liveFailed(detector);
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    this.options.onError(`detector "${detector}": live events not scored`, error);
  }

  /** Reads and scores `events` with one score call; unreadable events are counted. */
  private scoreEvents(
    target: ScoringTarget,
    events: readonly InferenceEvent[],
    unreadable: (reason: string, count: number) => void,
  ): { read: ReadEvent[]; values: Float64Array; scores: Float64Array } | undefined {
    const read: ReadEvent[] = [];
    const parts: Float64Array[] = [];
    let rows = 0;
    let length = 0;
    const problems = new Map<string, number>();
    for (const event of events) {
      const values = target.reader.read(event);
      if (!values.ok) {
        problems.set(values.problem, (problems.get(values.problem) ?? 0) + 1);
        continue;
      }
      read.push({ event, start: rows, rows: values.rows });
      parts.push(values.values);
      rows += values.rows;
      length += values.values.length;
    }
    for (const [reason, count] of problems) unreadable(reason, count);
    if (rows === 0) return undefined;
    const values = parts.length === 1 ? parts[0]! : new Float64Array(length);
    if (parts.length > 1) {
      let offset = 0;
      for (const part of parts) {
        values.set(part, offset);
        offset += part.length;
      }
    }
    return { read, values, scores: target.score(values, rows) };
  }

  private recordOf(
    target: ScoringTarget,
    read: ReadEvent,
    scores: Float64Array,
    timeUnixMs: number,
  ): OutlierEventRecord {
    const rowScore = Array.from(scores.subarray(read.start, read.start + read.rows));
    const rowIsOutlier = rowScore.map((score) => score > target.threshold);
    const { event } = read;
    return {
      eventId: `${event.eventId}.${target.name}.${target.version}`,
      detector: target.name,
      detectorVersion: target.version,
      requestId: event.requestId,
      traceId: traceOf(event)?.traceId ?? '',
      modelName: event.modelName,
      modelVersion: event.modelVersion,
      graph: event.graph,
      eventTimeUnixMs: event.timeUnixMs,
      timeUnixMs,
      isOutlier: rowIsOutlier.includes(true),
      score: Math.max(...rowScore),
      threshold: target.threshold,
      rowIsOutlier,
      rowScore,
    };
  }

  /**
   * Scores the stored events of a range, sending pages of verdicts with progress; the
   * cancellation (the call's deadline) ends the scan with its reason after what was sent.
   * @throws NotFound / FailedPrecondition / InvalidArgument as Predict, for the range or page
   *   size; UnavailableError when the event store cannot be read.
   */
  async scoreHistory(
    request: HistoryRequest,
    cancellation: Cancellation,
    send: (page: HistoryPage) => Promise<void>,
  ): Promise<void> {
    this.checkRange(request.fromUnixMs, request.toUnixMs, 'range');
    const pageSize = request.pageSize || DEFAULT_HISTORY_PAGE_SIZE;
    if (pageSize > MAX_HISTORY_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: ${pageSize}; at most ${MAX_HISTORY_PAGE_SIZE}`);
    }
    const target = this.options.detectors.historyTarget(request.name, request.selector);
    const reader = await this.reader();
    const span = this.options.tracer.startSpan('outlier.score_history', {
      attributes: { 'sightline.detector': target.name, 'sightline.detector_version': target.version },
    });
    const skipped: Record<string, number> = {};
    let skippedTotal = 0;
    let eventsRead = 0;
    let eventsScored = 0;
    let outlierEvents = 0;
    let position = request.fromUnixMs;
    let verdicts: EventVerdict[] = [];
    let lastSent = Date.now();
    const progress = () => ({
      eventsRead,
      eventsScored,
      eventsSkipped: { ...skipped },
      positionTimeUnixMs: position,
      outlierEvents,
    });
    const flush = async () => {
      await send({ verdicts, skippedEvents: skippedTotal, progress: progress() });
      verdicts = [];
      lastSent = Date.now();
    };
    try {
      const pages = eventPages({
        reader,
        fromUnixMs: request.fromUnixMs,
        toUnixMs: request.toUnixMs,
        modelName: target.selector.modelName,
        ...(target.selector.graph ? { graph: target.selector.graph } : {}),
        pageSize: HISTORY_READ_PAGE_EVENTS,
        cancellation,
      });
      for await (const page of pages) {
        if (cancellation.cancelReason) throw cancellation.cancelReason;
        eventsRead += page.events.length;
        position = page.lastTimeMs;
        const matching = page.events.filter((event) => matchesAttachment(target.attachment, event));
        const scored = this.scoreEvents(target, matching, (reason, count) => {
          skipped[reason] = (skipped[reason] ?? 0) + count;
          skippedTotal += count;
        });
        for (const read of scored?.read ?? []) {
          eventsScored++;
          const rowScore = Array.from(scored!.scores.subarray(read.start, read.start + read.rows));
          const isOutlier = rowScore.map((score) => score > target.threshold);
          const any = isOutlier.includes(true);
          if (any) outlierEvents++;
          if (request.outliersOnly && !any) continue;
          verdicts.push({
            requestId: read.event.requestId,
            eventTimeUnixMs: read.event.timeUnixMs,
            modelName: read.event.modelName,
            modelVersion: read.event.modelVersion,
            traceId: traceOf(read.event)?.traceId ?? '',
            isOutlier,
            instanceScores: rowScore,
          });
          if (verdicts.length >= pageSize) await flush();
        }
        if (Date.now() - lastSent >= HISTORY_PROGRESS_INTERVAL_MS) await flush();
      }
      await flush();
      span.setAttributes({ 'sightline.events_read': eventsRead, 'sightline.events_scored': eventsScored });
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  private checkRange(fromUnixMs: number, toUnixMs: number, field: string): void {
    const { maxHistoryRangeMs } = this.options.limits;
    if (toUnixMs - fromUnixMs > maxHistoryRangeMs) {
      throw new InvalidArgumentError(
        `${field}: ${Math.ceil((toUnixMs - fromUnixMs) / 1000)} s long; at most ${maxHistoryRangeMs / 1000} s (--max-history-range-ms)`,
      );
    }
  }

  private async reader(): Promise<EventReader> {
    const reader = this.options.reader();
    if (!reader) {
      throw new UnavailableError(`no event store is configured (${this.options.readerSetting})`);
    }
    await this.options.checkReader?.();
    return reader;
  }
}
