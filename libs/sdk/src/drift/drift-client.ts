/**
 * The drift service (`sightline.drift.v1.DriftService`, port 8003 in the local stack):
 * create, fit, test, watch and manage drift detectors, in plain types.
 *
 * Retried on UNAVAILABLE (they change nothing): `get`, `list`, `score` (online kinds score
 * without adding rows), `listDriftEvents`. Never retried: `createDetector` (a retry after a
 * lost answer would be ALREADY_EXISTS), `fit` (each fit is a new version), `predict` (online
 * kinds add the rows to their window), `attach`, `detach`, `delete`, `inferThreshold`,
 * `reset`, and the `scoreHistory` stream.
 */
import { driftV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import {
  allDetectors,
  type DetectorFitFromEvents,
  type DetectorFitOptions,
  type DetectorListOptions,
  isFitFromEvents,
} from '../data/detector-calls.js';
import { pageSizeOf } from '../data/page-size.js';
import { filterRangeOf, rangeOf } from '../data/time-range.js';
import type { TimeInput } from '../events/events-client.js';
import { configOfSettings, type DriftDetectorSettings } from './detector-settings.js';
import { type DriftData, driftTensorMessages } from './drift-data.js';
import {
  type DriftDetector,
  type DriftDetectorDetails,
  type DriftEventRecord,
  type DriftHistoryItem,
  type DriftPrediction,
  type DriftScore,
  detectorOf,
  driftEventOf,
  historyItemOf,
  lineageOf,
  predictionOf,
  scoreOf,
} from './drift-results.js';
import {
  type DriftEventSelector,
  type DriftTrailingReference,
  type DriftWindowOptions,
  selectorMessage,
  trailingReferenceMessage,
  windowMessage,
} from './event-selection.js';

const service = driftV1.DriftServiceService;

/** What `createDetector` takes besides the name. */
export interface CreateDetectorOptions extends CallOptions {
  /** The kind and settings; unset: tabular with its defaults. */
  readonly settings?: DriftDetectorSettings;
  /** Features read as categories, by name (chi-square in tabular, category checks in quality). */
  readonly categoricalFeatures?: readonly string[];
  /** Live events to test; unset tests only on request (or after `attach`). */
  readonly live?: DriftEventSelector;
  /** How live events are grouped into windows. */
  readonly liveWindow?: DriftWindowOptions;
  /** Labels copied onto the detector's metrics (at most 16). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * A reference that trails the stream (e.g. the same hours last week): the service refits
   * the detector from stored events on this schedule, each refit a new version.
   */
  readonly trailingReference?: DriftTrailingReference;
}

/** What `predict` takes besides the name and the data. */
export interface PredictOptions extends CallOptions {
  /** Univariate kinds: one corrected verdict (`batch`, the default) or one per feature. */
  readonly driftType?: 'batch' | 'feature';
  /** Whether per-feature p-values come back; default true. */
  readonly returnPValue?: boolean;
  /** Whether distances come back; default true. */
  readonly returnDistance?: boolean;
}

/** A history scan: a time range of stored events, tested window by window. */
export interface ScoreHistoryOptions extends CallOptions {
  /** First instant included. */
  readonly from: TimeInput;
  /** First instant excluded; unset: now. */
  readonly to?: TimeInput;
  /** Which events and tensors. */
  readonly selector: DriftEventSelector;
  /** How events are grouped into windows; unset: the detector's live window or the defaults. */
  readonly window?: DriftWindowOptions;
}

/** What `attach` takes besides the name. */
export interface AttachOptions extends CallOptions {
  /** Which live events and tensors. */
  readonly selector: DriftEventSelector;
  /** How they are grouped into windows; unset: the defaults. */
  readonly window?: DriftWindowOptions;
}

/** Lineage fields of a fit. */
export type FitOptions = DetectorFitOptions;

/** A fit on stored inference events instead of data in the call. */
export type FitFromEvents = DetectorFitFromEvents;

/** Paging of `list`. */
export type ListDetectorsOptions = DetectorListOptions;

/** One page of detectors, in name order. */
export interface DetectorPage {
  /** This page's detectors, in name order. */
  readonly detectors: readonly DriftDetector[];
  /** Pass as `pageToken` for the next page; empty after the last. */
  readonly nextPageToken: string;
}

/** Filters and paging of `listDriftEvents`. */
export interface ListDriftEventsOptions extends CallOptions {
  /** Only this detector's events. */
  readonly name?: string;
  /** Only windows ending at or after this instant. */
  readonly from?: TimeInput;
  /** Only windows ending before this instant. */
  readonly to?: TimeInput;
  /** Only windows that drifted. */
  readonly driftOnly?: boolean;
  /** Events per page; unset: the service's default (100); at most 1000. */
  readonly pageSize?: number;
  /** The previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** One page of drift events, newest first. */
export interface DriftEventPage {
  /** Events in the window. */
  readonly events: readonly DriftEventRecord[];
  /** Pass as `pageToken` for the next page; empty after the last. */
  readonly nextPageToken: string;
}

/** What `inferThreshold` takes besides the name. */
export interface InferThresholdOptions extends CallOptions {
  /** Online kinds: a new expected run time in rows. */
  readonly ert?: number;
  /** A new seed for the permutations or bootstraps. */
  readonly seed?: number | bigint;
}

/** What `inferThreshold` answers. */
export interface InferThresholdResult {
  /** The threshold now in use: a p-value (KS, CVM, chi2), a distance (MMD), or an online kind's statistic threshold. */
  readonly threshold: number;
  /** The detector after calibration. */
  readonly detector: DriftDetector;
}

const DRIFT_TYPES = {
  batch: driftV1.DriftType.DRIFT_TYPE_BATCH,
  feature: driftV1.DriftType.DRIFT_TYPE_FEATURE,
} as const;

/** DriftService calls on one address. */
export class DriftClient {
  /**
   * @param caller - the shared call path.
   * @param address - the drift service's gRPC target.
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
  async createDetector(name: string, options: CreateDetectorOptions = {}): Promise<DriftDetector> {
    const config = configOfSettings(options.settings ?? {});
    if (options.trailingReference !== undefined)
      config.trailingReference = trailingReferenceMessage(options.trailingReference);
    const request = driftV1.CreateDetectorRequest.fromPartial({
      name,
      config,
      categoricalFeatures: [...(options.categoricalFeatures ?? [])],
      labels: { ...(options.labels ?? {}) },
      ...(options.live !== undefined && { live: selectorMessage(options.live) }),
      ...(options.liveWindow !== undefined && { liveWindow: windowMessage(options.liveWindow) }),
    });
    const response = await this.caller.unary(this.address, service.createDetector, request, options);
    return detectorOf(response.detector);
  }

  /**
   * Fits the detector on reference data and saves the fit as its next version (Fit): a
   * table (`{ columns: { petal_length: [...], species: ['setosa', ...] } }`, each column its
   * own feature, FP64 or BYTES), tensors, or stored events of a time range.
   *
   * @throws NotFoundError for an unknown detector; InvalidArgumentError naming the column
   *   and row (NaN, too few rows: the minimum is stated); ResourceExhaustedError over the
   *   service's reference limit.
   */
  async fit(
    name: string,
    reference: DriftData | FitFromEvents,
    options: FitOptions = {},
  ): Promise<DriftDetector> {
    const fromEvents = isFitFromEvents(reference);
    const request = driftV1.FitRequest.fromPartial({
      name,
      creator: options.creator ?? '',
      referenceSource: options.referenceSource ?? '',
      ...(fromEvents
        ? {
            referenceEvents: {
              range: rangeOf(reference.from, reference.to),
              selector: selectorMessage(reference.selector),
            },
          }
        : { data: driftTensorMessages(reference) }),
    });
    const response = await this.caller.unary(this.address, service.fit, request, options);
    return detectorOf(response.detector);
  }

  /**
   * Test statistics, p-values and effect sizes of a batch, without a verdict (Score).
   *
   * @throws FailedPreconditionError when not fitted; InvalidArgumentError naming a feature
   *   the fit did not have, or one it had that is missing.
   */
  async score(name: string, data: DriftData, options: CallOptions = {}): Promise<DriftScore> {
    const request = { name, data: driftTensorMessages(data) };
    const response = await this.caller.unary(this.address, service.score, request, options, 'idempotent');
    return scoreOf(response);
  }

  /**
   * The verdict on a batch (Predict): Alibi Detect's `{ meta, data }`. Online kinds add the
   * rows to their window.
   *
   * @throws FailedPreconditionError when not fitted; InvalidArgumentError for a batch that
   *   does not match the fit, or fewer rows than the kind needs.
   */
  async predict(name: string, data: DriftData, options: PredictOptions = {}): Promise<DriftPrediction> {
    const driftType = options.driftType ?? 'batch';
    if (!Object.hasOwn(DRIFT_TYPES, driftType)) {
      throw new InvalidArgumentError(
        `driftType: must be "batch" or "feature", got ${JSON.stringify(driftType)}`,
        {
          field: 'driftType',
        },
      );
    }
    const request = driftV1.PredictRequest.fromPartial({
      name,
      data: driftTensorMessages(data),
      driftType: DRIFT_TYPES[driftType],
      returnPVal: options.returnPValue ?? true,
      returnDistance: options.returnDistance ?? true,
    });
    const response = await this.caller.unary(this.address, service.predict, request, options);
    return predictionOf(response);
  }

  /**
   * Tests the stored events of a time range window by window (ScoreHistory): an async
   * iterable of `progress` items and one `window` item per closed window. Ending the loop
   * early, or aborting `signal`, cancels the scan. The stream has no deadline unless
   * `deadlineMs` sets one; when it passes, the iteration throws DeadlineExceededError after
   * the windows sent so far.
   *
   * @throws (from the iteration) FailedPreconditionError when not fitted or no event store is
   *   configured; InvalidArgumentError for a bad range or selector; UnavailableError when
   *   the event store is down.
   */
  async *scoreHistory(
    name: string,
    options: ScoreHistoryOptions,
  ): AsyncGenerator<DriftHistoryItem, void, undefined> {
    const request = driftV1.ScoreHistoryRequest.fromPartial({
      name,
      range: rangeOf(options.from, options.to),
      selector: selectorMessage(options.selector),
      ...(options.window !== undefined && { window: windowMessage(options.window) }),
    });
    for await (const message of this.caller.serverStream(
      this.address,
      service.scoreHistory,
      request,
      options,
    )) {
      const item = historyItemOf(message);
      if (item !== undefined) yield item;
    }
  }

  /**
   * Attaches the detector to the live events of a model, version or graph node
   * (AttachDetector), replacing an earlier attachment.
   *
   * @throws NotFoundError; FailedPreconditionError when not fitted.
   */
  async attach(name: string, options: AttachOptions): Promise<DriftDetector> {
    const request = driftV1.AttachDetectorRequest.fromPartial({
      name,
      selector: selectorMessage(options.selector),
      ...(options.window !== undefined && { window: windowMessage(options.window) }),
    });
    const response = await this.caller.unary(this.address, service.attachDetector, request, options);
    return detectorOf(response.detector);
  }

  /**
   * Detaches the detector from the live stream; its open window is dropped (DetachDetector).
   *
   * @throws NotFoundError; FailedPreconditionError when not attached.
   */
  async detach(name: string, options: CallOptions = {}): Promise<DriftDetector> {
    const response = await this.caller.unary(this.address, service.detachDetector, { name }, options);
    return detectorOf(response.detector);
  }

  /**
   * One detector and every saved version's lineage, newest first (GetDetector).
   *
   * @throws NotFoundError for an unknown name.
   */
  async get(name: string, options: CallOptions = {}): Promise<DriftDetectorDetails> {
    const response = await this.caller.unary(
      this.address,
      service.getDetector,
      { name },
      options,
      'idempotent',
    );
    return { detector: detectorOf(response.detector), versions: response.versions.map(lineageOf) };
  }

  /** One page of detectors, in name order (ListDetectors). */
  async list(options: ListDetectorsOptions = {}): Promise<DetectorPage> {
    const request = { pageSize: pageSizeOf(options.pageSize), pageToken: options.pageToken ?? '' };
    const response = await this.caller.unary(
      this.address,
      service.listDetectors,
      request,
      options,
      'idempotent',
    );
    return { detectors: response.detectors.map(detectorOf), nextPageToken: response.nextPageToken };
  }

  /** Every detector, page after page, in name order. */
  listAll(
    options: Omit<ListDetectorsOptions, 'pageToken'> = {},
  ): AsyncGenerator<DriftDetector, void, undefined> {
    return allDetectors((pageToken) => this.list({ ...options, pageToken }));
  }

  /**
   * Deletes a detector, every saved version and its attachment (DeleteDetector).
   *
   * @throws NotFoundError for an unknown name.
   */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.caller.unary(this.address, service.deleteDetector, { name }, options);
  }

  /** One page of stored drift events (closed live and history windows), newest first (ListDriftEvents). */
  async listDriftEvents(options: ListDriftEventsOptions = {}): Promise<DriftEventPage> {
    const range = filterRangeOf(options.from, options.to);
    const request = driftV1.ListDriftEventsRequest.fromPartial({
      name: options.name ?? '',
      driftOnly: options.driftOnly ?? false,
      pageSize: pageSizeOf(options.pageSize),
      pageToken: options.pageToken ?? '',
      ...(range !== undefined && { range }),
    });
    const response = await this.caller.unary(
      this.address,
      service.listDriftEvents,
      request,
      options,
      'idempotent',
    );
    return { events: response.events.map(driftEventOf), nextPageToken: response.nextPageToken };
  }

  /**
   * Recalibrates the threshold on the fitted reference (InferThreshold); answers the
   * threshold now in use and the detector.
   *
   * @throws FailedPreconditionError when not fitted; InvalidArgumentError for `ert` on an
   *   offline kind.
   */
  async inferThreshold(name: string, options: InferThresholdOptions = {}): Promise<InferThresholdResult> {
    const seed = options.seed === undefined ? undefined : BigInt(options.seed);
    const request = driftV1.InferThresholdRequest.fromPartial({
      name,
      ...(options.ert !== undefined && { ert: options.ert }),
      ...(seed !== undefined && { seed }),
    });
    const response = await this.caller.unary(this.address, service.inferThreshold, request, options);
    return { threshold: response.threshold, detector: detectorOf(response.detector) };
  }

  /**
   * Empties an online detector's window (ResetDetector).
   *
   * @throws FailedPreconditionError for an offline kind.
   */
  async reset(name: string, options: CallOptions = {}): Promise<DriftDetector> {
    const response = await this.caller.unary(this.address, service.resetDetector, { name }, options);
    return detectorOf(response.detector);
  }
}
