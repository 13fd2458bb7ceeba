/**
 * The outlier service (`sightline.outlier.v1.OutlierService`, port 8002 in the local stack):
 * create, fit (with streamed training progress), calibrate, score, predict, run over stored
 * events, attach to the live stream and manage outlier detectors, in plain types.
 *
 * Retried on UNAVAILABLE (they change nothing): `get`, `list`, `score`, `listOutlierEvents`.
 * Never retried: `createDetector` (a retry after a lost answer would be ALREADY_EXISTS),
 * `fit` and `fitWithProgress` (each fit is a new version), `inferThreshold`, `predict`
 * (Mahalanobis with updateOnPredict learns from the batch), `attach`, `detach`, `delete`,
 * and the `scoreHistory` stream.
 */
import { outlierV1 } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import {
  allDetectors,
  type DetectorFitFromEvents,
  type DetectorFitOptions,
  type DetectorListOptions,
  isFitFromEvents,
} from '../data/detector-calls.js';
import { type EventSelector, selectorMessage } from '../data/event-selector.js';
import { pageSizeOf } from '../data/page-size.js';
import { filterRangeOf, rangeOf } from '../data/time-range.js';
import type { TimeInput } from '../events/events-client.js';
import { type OutlierData, outlierTensorMessages } from './outlier-data.js';
import {
  type FitProgressItem,
  fitProgressItemOf,
  historyPageOf,
  type OutlierDetector,
  type OutlierDetectorDetails,
  type OutlierEventRecord,
  type OutlierHistoryPage,
  type OutlierPrediction,
  type OutlierScores,
  outlierDetectorOf,
  outlierEventOf,
  outlierLineageOf,
  outlierPredictionOf,
  outlierScoresOf,
} from './outlier-results.js';
import { type OutlierDetectorSettings, outlierConfigOfSettings } from './outlier-settings.js';

const service = outlierV1.OutlierServiceService;

/** What `createDetector` takes besides the name. */
export interface CreateOutlierDetectorOptions extends CallOptions {
  /** The kind and settings; required. */
  readonly settings: OutlierDetectorSettings;
  /** Live events to score once fitted with a threshold; unset scores only on request. */
  readonly live?: EventSelector;
  /** Labels copied onto the detector's metrics (at most 16). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** What `inferThreshold` takes besides the name and the data (at most one rule). */
export interface OutlierInferThresholdOptions extends CallOptions {
  /** The percentage of the data that should score at or below the threshold, in (0, 100]; unset: 95. */
  readonly thresholdPercentile?: number;
  /** The fraction of inliers allowed to be flagged, in (0, 1). */
  readonly expectedFalsePositiveRate?: number;
}

/** What `inferThreshold` answers. */
export interface OutlierInferThresholdResult {
  /** The threshold set (an instance score above it is an outlier). */
  readonly threshold: number;
  /** The detector after calibration. */
  readonly detector: OutlierDetector;
}

/** What `predict` takes besides the name and the data. */
export interface OutlierPredictOptions extends CallOptions {
  /** Whether per-row scores come back; default true. */
  readonly returnInstanceScore?: boolean;
  /** Whether per-feature scores come back (kinds that have them); default true. */
  readonly returnFeatureScore?: boolean;
  /** The request the data came from, so the verdict can be joined to its event. */
  readonly requestId?: string;
}

/** A history scan: the stored events of a time range, scored. */
export interface OutlierScoreHistoryOptions extends CallOptions {
  /** First instant included. */
  readonly from: TimeInput;
  /** First instant excluded; unset: now. */
  readonly to?: TimeInput;
  /** Which events and tensors; unset: the detector's live selector. */
  readonly selector?: EventSelector;
  /** Verdicts per page; unset: the service's 1000; at most 10000. */
  readonly pageSize?: number;
  /** Only events with at least one outlier row are sent (all are still scored and counted). */
  readonly outliersOnly?: boolean;
}

/** What `attach` takes besides the name. */
export interface OutlierAttachOptions extends CallOptions {
  /** Which live events and tensors; unset: the selector given at creation. */
  readonly selector?: EventSelector;
}

/** Lineage fields of a fit. */
export type OutlierFitOptions = DetectorFitOptions;

/** A fit on stored inference events instead of data in the call. */
export type OutlierFitFromEvents = DetectorFitFromEvents;

/** Paging of `list`. */
export type ListOutlierDetectorsOptions = DetectorListOptions;

/** One page of detectors, in name order. */
export interface OutlierDetectorPage {
  /** This page's detectors, in name order. */
  readonly detectors: readonly OutlierDetector[];
  /** Pass as `pageToken` for the next page; empty after the last. */
  readonly nextPageToken: string;
}

/** Filters and paging of `listOutlierEvents`. */
export interface ListOutlierEventsOptions extends CallOptions {
  /** Only this detector's events. */
  readonly name?: string;
  /** Only events scored at or after this instant. */
  readonly from?: TimeInput;
  /** Only events scored before this instant. */
  readonly to?: TimeInput;
  /** Only events with at least one outlier row. */
  readonly outliersOnly?: boolean;
  /** Only the events of this request id. */
  readonly requestId?: string;
  /** Events per page; unset: the service's default (100); at most 1000. */
  readonly pageSize?: number;
  /** The previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** One page of outlier events, newest first. */
export interface OutlierEventPage {
  /** This page's events. */
  readonly events: readonly OutlierEventRecord[];
  /** Pass as `pageToken` for the next page; empty after the last. */
  readonly nextPageToken: string;
}

/** OutlierService calls on one address. */
export class OutlierClient {
  /**
   * @param caller - the shared call path.
   * @param address - the outlier service's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * Creates an unfitted detector (CreateDetector).
   *
   * @throws AlreadyExistsError for a name in use; InvalidArgumentError naming a setting
   *   (here, for one the kind does not have; from the service, for a value out of range).
   */
  async createDetector(name: string, options: CreateOutlierDetectorOptions): Promise<OutlierDetector> {
    const request = outlierV1.CreateDetectorRequest.fromPartial({
      name,
      config: outlierConfigOfSettings(options.settings),
      labels: { ...(options.labels ?? {}) },
      ...(options.live !== undefined && { live: selectorMessage(options.live) }),
    });
    const response = await this.caller.unary(this.address, service.createDetector, request, options);
    return outlierDetectorOf(response.detector);
  }

  /**
   * Fits the detector on reference data and saves the fit as its next version (Fit): a
   * table of numeric columns (a `label` column left out), tensors, or stored events.
   *
   * @throws NotFoundError for an unknown detector; InvalidArgumentError naming the column
   *   (NaN, too few rows, a singular covariance); DeadlineExceededError for an autoencoder
   *   training past its budget (nothing saved); ResourceExhaustedError over the reference limit.
   */
  async fit(
    name: string,
    reference: OutlierData | OutlierFitFromEvents,
    options: OutlierFitOptions = {},
  ): Promise<OutlierDetector> {
    const request = fitRequest(name, reference, options);
    const response = await this.caller.unary(this.address, service.fit, request, options);
    return outlierDetectorOf(response.detector);
  }

  /**
   * Fit, streaming the training's progress (FitWithProgress): `progress` items (autoencoder
   * epochs; at most one for the other kinds), then one `fitted` item with the detector.
   * Ending the loop early, or aborting `signal`, cancels the fit. The stream has no deadline
   * unless `deadlineMs` sets one.
   *
   * @throws (from the iteration) as `fit`.
   */
  async *fitWithProgress(
    name: string,
    reference: OutlierData | OutlierFitFromEvents,
    options: OutlierFitOptions = {},
  ): AsyncGenerator<FitProgressItem, void, undefined> {
    const request = { fit: fitRequest(name, reference, options) };
    for await (const message of this.caller.serverStream(
      this.address,
      service.fitWithProgress,
      request,
      options,
    )) {
      const item = fitProgressItemOf(message);
      if (item !== undefined) yield item;
    }
  }

  /**
   * Sets the threshold at a percentile of the scores of `data` (InferThreshold): 95 unless
   * `thresholdPercentile` or `expectedFalsePositiveRate` says otherwise.
   *
   * @throws FailedPreconditionError when not fitted; InvalidArgumentError for both rules or
   *   a feature count other than the fit's.
   */
  async inferThreshold(
    name: string,
    data: OutlierData,
    options: OutlierInferThresholdOptions = {},
  ): Promise<OutlierInferThresholdResult> {
    const request = outlierV1.InferThresholdRequest.fromPartial({
      name,
      data: outlierTensorMessages(data),
      ...(options.thresholdPercentile !== undefined && { thresholdPercentile: options.thresholdPercentile }),
      ...(options.expectedFalsePositiveRate !== undefined && {
        expectedFalsePositiveRate: options.expectedFalsePositiveRate,
      }),
    });
    const response = await this.caller.unary(this.address, service.inferThreshold, request, options);
    return { threshold: response.threshold, detector: outlierDetectorOf(response.detector) };
  }

  /**
   * The outlier score of each row, and of each feature where the kind has them (Score);
   * needs a fit but no threshold.
   *
   * @throws FailedPreconditionError when not fitted; InvalidArgumentError naming the column
   *   for a batch that does not match the fit.
   */
  async score(name: string, data: OutlierData, options: CallOptions = {}): Promise<OutlierScores> {
    const request = { name, data: outlierTensorMessages(data) };
    const response = await this.caller.unary(this.address, service.score, request, options, 'idempotent');
    return outlierScoresOf(response);
  }

  /**
   * The verdict on each row (Predict): Alibi Detect's `{ meta, data }`.
   *
   * @throws FailedPreconditionError when not fitted or no threshold is set (naming the call
   *   to make); InvalidArgumentError for a batch that does not match the fit.
   */
  async predict(
    name: string,
    data: OutlierData,
    options: OutlierPredictOptions = {},
  ): Promise<OutlierPrediction> {
    const request = outlierV1.PredictRequest.fromPartial({
      name,
      data: outlierTensorMessages(data),
      returnInstanceScore: options.returnInstanceScore ?? true,
      returnFeatureScore: options.returnFeatureScore ?? true,
      requestId: options.requestId ?? '',
    });
    const response = await this.caller.unary(this.address, service.predict, request, options);
    return outlierPredictionOf(response);
  }

  /**
   * Scores the stored events of a time range (ScoreHistory): an async iterable of pages, each
   * with verdicts in event order, progress, or both. Ending the loop early, or aborting
   * `signal`, cancels the scan. The stream has no deadline unless `deadlineMs` sets one;
   * when it passes, the iteration throws DeadlineExceededError after the pages sent so far.
   *
   * @throws (from the iteration) FailedPreconditionError when not fitted or without a
   *   threshold; InvalidArgumentError for a bad range, or no selector and no live one;
   *   UnavailableError when the event store is down.
   */
  async *scoreHistory(
    name: string,
    options: OutlierScoreHistoryOptions,
  ): AsyncGenerator<OutlierHistoryPage, void, undefined> {
    const request = outlierV1.ScoreHistoryRequest.fromPartial({
      name,
      range: rangeOf(options.from, options.to),
      pageSize: pageSizeOf(options.pageSize),
      outliersOnly: options.outliersOnly ?? false,
      ...(options.selector !== undefined && { selector: selectorMessage(options.selector) }),
    });
    for await (const message of this.caller.serverStream(
      this.address,
      service.scoreHistory,
      request,
      options,
    )) {
      yield historyPageOf(message);
    }
  }

  /**
   * Scores every live event the selector matches from now on (AttachDetector), replacing an
   * earlier attachment; unset selector: the one given at creation.
   *
   * @throws NotFoundError; FailedPreconditionError when not fitted or without a threshold.
   */
  async attach(name: string, options: OutlierAttachOptions = {}): Promise<OutlierDetector> {
    const request = outlierV1.AttachDetectorRequest.fromPartial({
      name,
      ...(options.selector !== undefined && { selector: selectorMessage(options.selector) }),
    });
    const response = await this.caller.unary(this.address, service.attachDetector, request, options);
    return outlierDetectorOf(response.detector);
  }

  /**
   * Stops live scoring (DetachDetector); a detached detector is returned unchanged.
   *
   * @throws NotFoundError for an unknown name.
   */
  async detach(name: string, options: CallOptions = {}): Promise<OutlierDetector> {
    const response = await this.caller.unary(this.address, service.detachDetector, { name }, options);
    return outlierDetectorOf(response.detector);
  }

  /**
   * One detector and every saved version's lineage, newest first (GetDetector).
   *
   * @throws NotFoundError for an unknown name.
   */
  async get(name: string, options: CallOptions = {}): Promise<OutlierDetectorDetails> {
    const response = await this.caller.unary(
      this.address,
      service.getDetector,
      { name },
      options,
      'idempotent',
    );
    return {
      detector: outlierDetectorOf(response.detector),
      versions: response.versions.map(outlierLineageOf),
    };
  }

  /** One page of detectors, in name order (ListDetectors). */
  async list(options: ListOutlierDetectorsOptions = {}): Promise<OutlierDetectorPage> {
    const request = { pageSize: pageSizeOf(options.pageSize), pageToken: options.pageToken ?? '' };
    const response = await this.caller.unary(
      this.address,
      service.listDetectors,
      request,
      options,
      'idempotent',
    );
    return { detectors: response.detectors.map(outlierDetectorOf), nextPageToken: response.nextPageToken };
  }

  /** Every detector, page after page, in name order. */
  listAll(
    options: Omit<ListOutlierDetectorsOptions, 'pageToken'> = {},
  ): AsyncGenerator<OutlierDetector, void, undefined> {
    return allDetectors((pageToken) => this.list({ ...options, pageToken }));
  }

  /**
   * Deletes a detector (detaching it first) and its saved versions; its events stay
   * (DeleteDetector).
   *
   * @throws NotFoundError for an unknown name.
   */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.caller.unary(this.address, service.deleteDetector, { name }, options);
  }

  /** One page of stored outlier events (one per scored live request), newest first (ListOutlierEvents). */
  async listOutlierEvents(options: ListOutlierEventsOptions = {}): Promise<OutlierEventPage> {
    const range = filterRangeOf(options.from, options.to);
    const request = outlierV1.ListOutlierEventsRequest.fromPartial({
      name: options.name ?? '',
      outliersOnly: options.outliersOnly ?? false,
      requestId: options.requestId ?? '',
      pageSize: pageSizeOf(options.pageSize),
      pageToken: options.pageToken ?? '',
      ...(range !== undefined && { range }),
    });
    const response = await this.caller.unary(
      this.address,
      service.listOutlierEvents,
      request,
      options,
      'idempotent',
    );
    return { events: response.events.map(outlierEventOf), nextPageToken: response.nextPageToken };
  }
}

function fitRequest(
  name: string,
  reference: OutlierData | OutlierFitFromEvents,
  options: OutlierFitOptions,
): outlierV1.FitRequest {
  return outlierV1.FitRequest.fromPartial({
    name,
    creator: options.creator ?? '',
    referenceSource: options.referenceSource ?? '',
    ...(isFitFromEvents(reference)
      ? {
          referenceEvents: {
            range: rangeOf(reference.from, reference.to),
            selector: selectorMessage(reference.selector),
          },
        }
      : { data: outlierTensorMessages(reference) }),
  });
}
