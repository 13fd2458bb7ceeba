/**
 * The detector lifecycle over a store and a set of kinds: fit a named detector into a new
 * saved version, score with its latest (or a given) version, delete. It is also the live
 * scorer's DetectorSource: the latest readable version of each detector is kept ready.
 * Generic in the kind family's result, so the drift and outlier services share it.
 */
import { FailedPreconditionError, InvalidArgumentError, quoteName } from '@sightline/errors';
import type { OnlineBudget } from './kernels.js';
import type { DetectorKind, FitProgress, FittedState } from './kinds/detector-kind.js';
import type { DetectorSource } from './live/live-scorer.js';
import { type ScoringDetector, scoringDetector } from './live/window-result.js';
import { checkDetectorName, type DetectorStore, type SavedDetector } from './store/detector-store.js';
import { referenceDigest } from './store/saved-format.js';
import type { FeatureTable } from './table/feature-table.js';
import { type NonFinitePolicy, type PlainTensor, tableFromTensors } from './table/table-from-tensors.js';

/** Kinds by name (`DriftKinds`, or the outlier service's). */
export interface KindCatalogue<TResult> {
  /** @throws InvalidArgumentError / UnimplementedError for a kind it does not have. */
  get(name: string | undefined): DetectorKind<TResult>;
}

/** What a fit needs beside the detector's name. */
export interface FitRequest {
  /** The kind (the catalogue's default when absent). */
  readonly kind?: string;
  /** Build it with `nonFinite: nonFinitePolicyOf(kind)`. */
  readonly reference: FeatureTable;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly creator?: string;
  /** Free text naming where the reference came from (file, time range). */
  readonly referenceSource?: string;
  /** Events of a stored range left out of the reference, per reason (saved in the lineage). */
  readonly referenceSkippedEvents?: Readonly<Record<string, number>>;
  /** Bounds a long fit (the online kinds' bootstrap); when spent nothing is saved. */
  readonly budget?: OnlineBudget;
  /** A long fit's progress (kinds with `fitAsync`). */
  readonly onProgress?: (progress: FitProgress) => void;
}

/** How tables for `kind` are built: `keep` for `quality` (it counts bad cells), `refuse` otherwise. */
export function nonFinitePolicyOf(kind: string | undefined): NonFinitePolicy {
  return kind === 'quality' ? 'keep' : 'refuse';
}

/** `state` made ready to score (the kind's `prepare`, e.g. the autoencoder's model built). */
async function prepared<TResult>(kind: DetectorKind<TResult>, state: FittedState): Promise<FittedState> {
  return kind.prepare ? kind.prepare(state) : state;
}

/** Fitted detectors: the lifecycle and the live scorer's source. */
export class FittedDetectors<TResult> implements DetectorSource<TResult> {
  private readonly latest = new Map<string, ScoringDetector<TResult>>();

  constructor(
    private readonly store: DetectorStore,
    private readonly kinds: KindCatalogue<TResult>,
  ) {}

  /**
   * Loads the store and readies each detector's latest usable version; reports unreadable
   * versions and those its kind's checks refused (an older usable version serves instead).
   */
  async load(): ReturnType<DetectorStore['load']> {
    const loaded = await this.store.load();
    this.latest.clear();
    for (const summary of this.store.list()) await this.refresh(summary.name);
    return { detectors: loaded.detectors, failures: this.store.failures() };
  }

  /**
   * Fits `name` on `request.reference` and saves the result as its next version.
   * @throws InvalidArgumentError for a bad name, kind, parameter or reference (the kind's
   *   rules: minimum rows, cells); UnimplementedError for an unsupported kind.
   */
  async fit(name: string, request: FitRequest): Promise<SavedDetector> {
    checkDetectorName(name);
    const kind = this.kinds.get(request.kind);
    if (request.reference.rows === 0) {
      throw new InvalidArgumentError('the reference is empty', { field: 'reference' });
    }
    const options = {
      ...(request.budget ? { budget: request.budget } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    };
    const state = kind.fitAsync
      ? await kind.fitAsync(request.reference, request.params ?? {}, options)
      : kind.fit(request.reference, request.params ?? {}, options);
    const saved = await this.store.save(name, {
      state,
      referenceSha256: referenceDigest(request.reference),
      ...(request.creator === undefined ? {} : { creator: request.creator }),
      ...(request.referenceSource === undefined ? {} : { referenceSource: request.referenceSource }),
      ...(request.referenceSkippedEvents === undefined
        ? {}
        : { referenceSkippedEvents: request.referenceSkippedEvents }),
    });
    this.latest.set(name, scoringDetector(name, saved.version, await prepared(kind, state), kind));
    return saved;
  }

  /** The latest readable version of `name`, ready to score; undefined when there is none. */
  get(name: string): ScoringDetector<TResult> | undefined {
    return this.latest.get(name);
  }

  /**
   * Version `version` (default: the latest readable) of `name`, ready to score.
   * @throws NotFoundError for an unknown detector or version; FailedPreconditionError for
   *   an unreadable version, saying what to do.
   */
  async detector(name: string, version?: number): Promise<ScoringDetector<TResult>> {
    if (version === undefined) {
      const ready = this.latest.get(name);
      if (ready !== undefined) return ready;
    }
    const saved = await this.store.get(name, version);
    const kind = this.kinds.get(saved.state.kind);
    try {
      kind.validate?.(saved.state);
    } catch (error) {
      const reason = (error as Error).message;
      this.store.refuse(name, saved.version, reason);
      if (version === undefined) await this.refresh(name);
      throw new FailedPreconditionError(
        `detector ${quoteName(name)} version ${saved.version} is unusable (${reason}); delete it or fit the detector again`,
      );
    }
    return scoringDetector(name, saved.version, await prepared(kind, saved.state), kind);
  }

  /**
   * Scores tensors with `name`: read with the fitted schema (columns by name, or by position
   * when unnamed), then the kind's score.
   * @throws NotFoundError / FailedPreconditionError as {@link detector}; InvalidArgumentError
   *   for bad input, naming column and row.
   */
  async scoreTensors(
    name: string,
    tensors: readonly PlainTensor[],
    options: { readonly columnNames?: readonly string[]; readonly version?: number } = {},
  ): Promise<{ readonly version: number; readonly result: TResult }> {
    const detector = await this.detector(name, options.version);
    const table = tableFromTensors(tensors, {
      ...(options.columnNames ? { columnNames: options.columnNames } : {}),
      schema: detector.schema,
      nonFinite: detector.nonFinite,
    });
    return { version: detector.version, result: detector.score(table) };
  }

  /** Scores a table already read with the detector's schema. */
  async scoreTable(
    name: string,
    table: FeatureTable,
    version?: number,
  ): Promise<{ readonly version: number; readonly result: TResult }> {
    const detector = await this.detector(name, version);
    return { version: detector.version, result: detector.score(table) };
  }

  /**
   * Deletes one version, or the whole detector.
   * @throws NotFoundError when there is nothing of that name or version.
   */
  async delete(name: string, version?: number): Promise<void> {
    await this.store.delete(name, version);
    await this.refresh(name);
  }

  /** Readies `name`'s newest usable version, refusing newer ones its kind's checks fail. */
  private async refresh(name: string): Promise<void> {
    this.latest.delete(name);
    for (;;) {
      const latest = this.store.summary(name)?.latest;
      if (latest === undefined) return;
      let saved: SavedDetector;
      let kind: DetectorKind<TResult>;
      try {
        saved = await this.store.get(name, latest);
        kind = this.kinds.get(saved.state.kind);
      } catch {
        // Unreadable (the store records and reports it) or of a kind this catalogue lacks:
        // the detector has nothing to score with until it is fitted again.
        return;
      }
      try {
        kind.validate?.(saved.state);
      } catch (error) {
        // Corrupt in valid JSON: refused alone and reported; the next older version serves.
        this.store.refuse(name, saved.version, (error as Error).message);
        continue;
      }
      try {
        this.latest.set(name, scoringDetector(name, saved.version, await prepared(kind, saved.state), kind));
      } catch {
        // Its model could not be built (the kind says why when it is asked to score).
      }
      return;
    }
  }
}
