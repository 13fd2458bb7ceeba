/**
 * A window too large to hold as rows, summarised so that it can still be scored and merged:
 * per numeric column a quantile sketch of its finite values, per categorical column the
 * counts of its categories, per column the missing (NaN), infinite and wrong-type cells, the
 * row and request counts, the first and last time, a bounded sample of request ids, and a
 * seeded reservoir sample of rows for the kinds that need rows (mmd, lsdd, pca).
 *
 * Merging is associative and commutative for everything but the reservoir, whose merge draws
 * a uniform sample of the union (equal in distribution whatever the order, not row for row).
 */
import { InvalidArgumentError } from '@sightline/errors';
import {
  CategoryCounts,
  type CategoryCountsJson,
  QuantileSketch,
  type QuantileSketchJson,
  seededRandom,
} from '@sightline/stats';
import type { SummarisedTable } from '../kinds/summarised-table.js';
import {
  type ColumnKind,
  fromRowMajor,
  type TableSchema,
  UNSEEN_CATEGORY_CODE,
} from '../table/feature-table.js';
import type { WindowChunk } from './window-assembler.js';

/** Rows a window holds raw by default; past it the window folds into a {@link WindowSummary}. */
export const DEFAULT_WINDOW_EXACT_ROWS = 100_000;
/**
 * Relative accuracy of a summary's quantile sketches by default: 0.1%, so a KS statistic on a
 * smooth column is within about 0.0005 of the exact one (see the stats `ks2SampSketch`), for
 * a few thousand buckets per column.
 */
export const DEFAULT_WINDOW_SKETCH_RELATIVE_ACCURACY = 0.001;
/**
 * Rows of the reservoir sample the kernel kinds (mmd, lsdd) and pca score a summarised window
 * on: the kernel tests hold an (n + m)^2 matrix, and a 1,000-row window is their default.
 */
export const DEFAULT_WINDOW_SAMPLE_ROWS = 1_000;
/**
 * Distinct values a numeric column's exact counts keep: a column with at most this many
 * distinct values in the window (integers, codes, rounded figures) is tested exactly from
 * them; past it only its sketch remains.
 */
export const DEFAULT_SUMMARY_MAX_DISTINCT_VALUES = 1_000;
/** Request ids a summary keeps (the first ones); beyond them only their count. */
export const DEFAULT_SUMMARY_REQUEST_IDS = 1_000;
/** Version of {@link WindowSummaryJson}. */
export const WINDOW_SUMMARY_SCHEMA_VERSION = 1;

/** How a summary is built. */
export interface WindowSummaryOptions {
  /** Per column: numeric columns get a quantile sketch, categorical ones counts. */
  readonly kinds: readonly ColumnKind[];
  readonly relativeAccuracy?: number;
  readonly sampleRows?: number;
  /** Seed of the reservoir sample (default 0): the same rows in the same order give the same sample. */
  readonly seed?: number;
  readonly maxRequestIds?: number;
  /** Default {@link DEFAULT_SUMMARY_MAX_DISTINCT_VALUES}. */
  readonly maxDistinctValues?: number;
}

/** Serialised {@link WindowSummary}: JSON, the reservoir as base64 float64. */
export interface WindowSummaryJson {
  readonly schemaVersion: number;
  readonly kinds: readonly ColumnKind[];
  readonly relativeAccuracy: number;
  readonly sampleRows: number;
  readonly seed: number;
  readonly maxRequestIds: number;
  readonly rows: number;
  readonly requests: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
  readonly sketches: readonly (QuantileSketchJson | null)[];
  /** Per numeric column, its exact [value, count] pairs while few enough; absent in older summaries. */
  readonly distinct?: readonly (readonly (readonly [number, number])[] | null)[];
  readonly maxDistinctValues?: number;
  readonly counts: readonly (CategoryCountsJson | null)[];
  readonly missing: readonly number[];
  readonly infinite: readonly number[];
  readonly typeViolations: readonly number[];
  readonly requestIds: readonly string[];
  /** Rows in the reservoir. */
  readonly sampled: number;
  /** Row-major float64 of the reservoir, base64. */
  readonly sample: string;
}

/** A summarised window (see the module documentation). */
export class WindowSummary {
  readonly kinds: readonly ColumnKind[];
  readonly relativeAccuracy: number;
  readonly sampleRows: number;
  readonly seed: number;
  readonly maxRequestIds: number;
  readonly maxDistinctValues: number;
  #rows = 0;
  #requests = 0;
  #firstMs: number | null = null;
  #lastMs: number | null = null;
  readonly #sketches: (QuantileSketch | null)[];
  readonly #counts: (CategoryCounts | null)[];
  /** Per numeric column, exact counts of its finite values until they exceed maxDistinctValues. */
  readonly #distinct: (Map<number, number> | null)[];
  readonly #missing: number[];
  readonly #infinite: number[];
  readonly #typeViolations: number[];
  #requestIds: string[] = [];
  #sample: Float64Array;
  #sampled = 0;

  constructor(options: WindowSummaryOptions) {
    this.kinds = [...options.kinds];
    this.relativeAccuracy = options.relativeAccuracy ?? DEFAULT_WINDOW_SKETCH_RELATIVE_ACCURACY;
    this.sampleRows = options.sampleRows ?? DEFAULT_WINDOW_SAMPLE_ROWS;
    this.seed = options.seed ?? 0;
    this.maxRequestIds = options.maxRequestIds ?? DEFAULT_SUMMARY_REQUEST_IDS;
    this.maxDistinctValues = options.maxDistinctValues ?? DEFAULT_SUMMARY_MAX_DISTINCT_VALUES;
    if (!Number.isInteger(this.sampleRows) || this.sampleRows < 0) {
      throw new InvalidArgumentError(`sampleRows: expected an integer >= 0, got ${this.sampleRows}`);
    }
    this.#sketches = this.kinds.map((k) =>
      k === 'numeric' ? new QuantileSketch({ relativeAccuracy: this.relativeAccuracy }) : null,
    );
    this.#counts = this.kinds.map((k) => (k === 'categorical' ? new CategoryCounts() : null));
    this.#distinct = this.kinds.map((k) => (k === 'numeric' ? new Map<number, number>() : null));
    this.#missing = this.kinds.map(() => 0);
    this.#infinite = this.kinds.map(() => 0);
    this.#typeViolations = this.kinds.map(() => 0);
    this.#sample = new Float64Array(this.sampleRows * this.width);
  }

  /** Values per row. */
  get width(): number {
    return this.kinds.length;
  }
  /** Rows summarised. */
  get rows(): number {
    return this.#rows;
  }
  /** Events (chunks) summarised: a request appears once per chunk it gave. */
  get requests(): number {
    return this.#requests;
  }
  /** Time of the earliest and the latest chunk; null when empty. */
  get firstMs(): number | null {
    return this.#firstMs;
  }
  get lastMs(): number | null {
    return this.#lastMs;
  }
  /** The first request ids, at most `maxRequestIds`. */
  get requestIds(): readonly string[] {
    return this.#requestIds;
  }
  /** Rows in the reservoir sample. */
  get sampled(): number {
    return this.#sampled;
  }

  /** Adds one event's rows. */
  add(chunk: WindowChunk): this {
    const width = this.width;
    if (chunk.values.length !== chunk.rows * width) {
      throw new InvalidArgumentError(`a chunk of ${chunk.rows} rows needs ${chunk.rows * width} values`);
    }
    this.#noteChunk(chunk.timeMs, chunk.requestId);
    // One generator per chunk, seeded by the rows seen so far: a checkpointed summary goes on
    // drawing the same reservoir as one that never stopped.
    const random = seededRandom((this.seed + this.#rows) | 0);
    for (let r = 0; r < chunk.rows; r++) {
      const at = r * width;
      for (let c = 0; c < width; c++) {
        const v = chunk.values[at + c]!;
        if (Number.isNaN(v)) this.#missing[c]! += 1;
        else if (!Number.isFinite(v)) this.#infinite[c]! += 1;
        else if (this.#sketches[c]) {
          this.#sketches[c]!.add(v);
          const distinct = this.#distinct[c];
          if (distinct) {
            distinct.set(v, (distinct.get(v) ?? 0) + 1);
            if (distinct.size > this.maxDistinctValues) this.#distinct[c] = null;
          }
        } else this.#counts[c]!.add(v);
      }
      // Reservoir sampling (algorithm R): row t replaces a kept row with probability k / (t + 1).
      const t = this.#rows + r;
      const slot = t < this.sampleRows ? t : random.nextInt(t + 1);
      if (slot < this.sampleRows) {
        this.#sample.set(chunk.values.subarray(at, at + width), slot * width);
        if (t < this.sampleRows) this.#sampled++;
      }
    }
    this.#rows += chunk.rows;
    chunk.typeViolations?.forEach((n, c) => {
      this.#typeViolations[c]! += n;
    });
    return this;
  }

  /**
   * Adds a raw window's rows at once (a replica's exact window becoming its share): its
   * request ids (one per event) and its first and last time are taken as given.
   */
  addWindow(window: {
    readonly values: Float64Array;
    readonly rows: number;
    readonly requestIds: readonly string[];
    readonly startMs: number;
    readonly endMs: number;
    readonly typeViolations?: readonly number[];
  }): this {
    const full = this.#requestIds.length >= this.maxRequestIds;
    this.add({
      values: window.values,
      rows: window.rows,
      timeMs: window.startMs,
      requestId: '',
      ...(window.typeViolations ? { typeViolations: window.typeViolations } : {}),
    });
    // add() noted one event with an empty id: replace it with the window's own.
    this.#requests += window.requestIds.length - 1;
    if (!full) this.#requestIds.pop();
    for (const id of window.requestIds)
      if (this.#requestIds.length < this.maxRequestIds) this.#requestIds.push(id);
    this.#noteTime(window.endMs);
    return this;
  }

  /**
   * Folds `other` (a share of the same window from another replica, or a later part) into
   * this one; `other` is unchanged.
   * @throws InvalidArgumentError when the columns, accuracy or sample size differ.
   */
  merge(other: WindowSummary): this {
    if (
      other.kinds.length !== this.kinds.length ||
      other.kinds.some((k, c) => k !== this.kinds[c]) ||
      other.relativeAccuracy !== this.relativeAccuracy ||
      other.sampleRows !== this.sampleRows
    ) {
      throw new InvalidArgumentError(
        `window summary: cannot merge a summary of ${other.width} columns (accuracy ${other.relativeAccuracy}, sample ${other.sampleRows}) into one of ${this.width} (accuracy ${this.relativeAccuracy}, sample ${this.sampleRows})`,
      );
    }
    this.#mergeSample(other);
    this.#rows += other.#rows;
    this.#requests += other.#requests;
    for (const ms of [other.#firstMs, other.#lastMs]) if (ms !== null) this.#noteTime(ms);
    for (const id of other.#requestIds)
      if (this.#requestIds.length < this.maxRequestIds) this.#requestIds.push(id);
    for (let c = 0; c < this.width; c++) {
      if (this.#sketches[c]) {
        this.#sketches[c]!.merge(other.#sketches[c]!);
        const [mine, theirs] = [this.#distinct[c], other.#distinct[c]];
        if (mine && theirs) {
          for (const [v, n] of theirs) mine.set(v, (mine.get(v) ?? 0) + n);
          if (mine.size > this.maxDistinctValues) this.#distinct[c] = null;
        } else this.#distinct[c] = null;
      } else this.#counts[c]!.merge(other.#counts[c]!);
      this.#missing[c]! += other.#missing[c]!;
      this.#infinite[c]! += other.#infinite[c]!;
      this.#typeViolations[c]! += other.#typeViolations[c]!;
    }
    return this;
  }

  /**
   * The summary as the kinds score it, read with `schema` (the detector's: names and
   * dictionaries; its kinds must be this summary's). Category overflow (beyond the counts'
   * limit) is counted as the unseen category.
   */
  toTable(schema: TableSchema): SummarisedTable {
    if (schema.names.length !== this.width || schema.kinds.some((k, c) => k !== this.kinds[c])) {
      throw new InvalidArgumentError(
        `window summary: its ${this.width} columns (${this.kinds.join(', ')}) are not the detector's ${schema.names.length} (${schema.kinds.join(', ')})`,
      );
    }
    const counts = this.#counts.map((c) => {
      if (!c) return undefined;
      const map = c.toMap() as Map<number, number>;
      if (c.overflow > 0) map.set(UNSEEN_CATEGORY_CODE, (map.get(UNSEEN_CATEGORY_CODE) ?? 0) + c.overflow);
      return map;
    });
    return {
      names: schema.names,
      kinds: schema.kinds,
      dictionaries: schema.dictionaries,
      rows: this.#rows,
      relativeAccuracy: this.relativeAccuracy,
      sketches: this.#sketches.map((s) => s ?? undefined),
      distinct: this.#distinct.map((d) => d ?? undefined),
      maxDistinctValues: this.maxDistinctValues,
      counts,
      missing: [...this.#missing],
      infinite: [...this.#infinite],
      typeViolations: [...this.#typeViolations],
      sample: fromRowMajor(schema, this.#sample.slice(0, this.#sampled * this.width), this.#sampled),
    };
  }

  /** Versioned JSON form. */
  toJSON(): WindowSummaryJson {
    const sample = this.#sample.slice(0, this.#sampled * this.width);
    return {
      schemaVersion: WINDOW_SUMMARY_SCHEMA_VERSION,
      kinds: this.kinds,
      relativeAccuracy: this.relativeAccuracy,
      sampleRows: this.sampleRows,
      seed: this.seed,
      maxRequestIds: this.maxRequestIds,
      rows: this.#rows,
      requests: this.#requests,
      firstMs: this.#firstMs,
      lastMs: this.#lastMs,
      sketches: this.#sketches.map((s) => s?.toJSON() ?? null),
      distinct: this.#distinct.map((d) => (d ? [...d].sort((a, b) => a[0] - b[0]) : null)),
      maxDistinctValues: this.maxDistinctValues,
      counts: this.#counts.map((c) => c?.toJSON() ?? null),
      missing: [...this.#missing],
      infinite: [...this.#infinite],
      typeViolations: [...this.#typeViolations],
      requestIds: [...this.#requestIds],
      sampled: this.#sampled,
      sample: Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength).toString('base64'),
    };
  }

  /**
   * Restores a summary written by {@link toJSON} (a checkpoint, or a share sent by a replica).
   * @throws InvalidArgumentError on another schema version or parts that do not hold together.
   */
  static fromJSON(json: WindowSummaryJson): WindowSummary {
    if (json?.schemaVersion !== WINDOW_SUMMARY_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `window summary: schemaVersion ${json?.schemaVersion} is not supported (expected ${WINDOW_SUMMARY_SCHEMA_VERSION})`,
      );
    }
    const summary = new WindowSummary({
      kinds: json.kinds,
      relativeAccuracy: json.relativeAccuracy,
      sampleRows: json.sampleRows,
      seed: json.seed,
      maxRequestIds: json.maxRequestIds,
      ...(json.maxDistinctValues !== undefined ? { maxDistinctValues: json.maxDistinctValues } : {}),
    });
    const width = summary.width;
    const perColumn = [json.sketches, json.counts, json.missing, json.infinite, json.typeViolations];
    if (perColumn.some((a) => !Array.isArray(a) || a.length !== width)) {
      throw new InvalidArgumentError(`window summary: every per-column list must have ${width} entries`);
    }
    const bytes = Buffer.from(json.sample, 'base64');
    const sampled = json.sampled;
    if (
      !Number.isInteger(sampled) ||
      sampled < 0 ||
      sampled > summary.sampleRows ||
      sampled > json.rows ||
      bytes.byteLength !== sampled * width * 8
    ) {
      throw new InvalidArgumentError(
        `window summary: a sample of ${sampled} rows does not fit its ${bytes.byteLength} bytes or its limit`,
      );
    }
    if (!Number.isSafeInteger(json.rows) || json.rows < 0) {
      throw new InvalidArgumentError(`window summary: rows ${json.rows} must be an integer >= 0`);
    }
    const sample = new Float64Array(sampled * width);
    new Uint8Array(sample.buffer).set(bytes);
    summary.#sample.set(sample);
    summary.#sampled = sampled;
    summary.#rows = json.rows;
    summary.#requests = json.requests;
    summary.#firstMs = json.firstMs;
    summary.#lastMs = json.lastMs;
    summary.#requestIds = json.requestIds.slice(0, summary.maxRequestIds);
    for (let c = 0; c < width; c++) {
      const kind = summary.kinds[c];
      const sketch = json.sketches[c];
      const counts = json.counts[c];
      if (kind === 'numeric' && sketch) {
        summary.#sketches[c] = QuantileSketch.fromJSON(sketch);
        // A summary written without exact counts (or past their limit) has none.
        const distinct = json.distinct?.[c];
        summary.#distinct[c] = distinct
          ? new Map(distinct.map(([v, n]) => [v, n] as [number, number]))
          : null;
        if (distinct && [...summary.#distinct[c]!.values()].reduce((a, b) => a + b, 0) !== sketch.count) {
          throw new InvalidArgumentError(
            `window summary, column ${c}: exact counts disagree with the sketch's count`,
          );
        }
      } else if (kind === 'categorical' && counts) summary.#counts[c] = CategoryCounts.fromJSON(counts);
      else throw new InvalidArgumentError(`window summary, column ${c}: no ${kind} summary`);
      summary.#missing[c] = json.missing[c]!;
      summary.#infinite[c] = json.infinite[c]!;
      // Every row gives each column one value: summarised, missing or infinite. A summary
      // claiming other rows than it holds would weigh the merged window wrongly.
      const held =
        (summary.#sketches[c]?.count ?? summary.#counts[c]?.total ?? 0) +
        summary.#missing[c]! +
        summary.#infinite[c]!;
      if (held !== json.rows) {
        throw new InvalidArgumentError(
          `window summary: rows ${json.rows} disagrees with column ${c}, which holds ${held} values (summarised, missing and infinite)`,
        );
      }
      summary.#typeViolations[c] = json.typeViolations[c]!;
    }
    return summary;
  }

  #noteChunk(timeMs: number, requestId: string): void {
    this.#requests++;
    this.#noteTime(timeMs);
    if (this.#requestIds.length < this.maxRequestIds) this.#requestIds.push(requestId);
  }

  #noteTime(ms: number): void {
    if (this.#firstMs === null || ms < this.#firstMs) this.#firstMs = ms;
    if (this.#lastMs === null || ms > this.#lastMs) this.#lastMs = ms;
  }

  /**
   * The reservoir of the union: each kept row comes from this side with probability
   * (its rows not yet drawn) / (both sides' rows not yet drawn), without replacement, over
   * both reservoirs shuffled; a uniform sample of the union when both are uniform samples.
   */
  #mergeSample(other: WindowSummary): void {
    const width = this.width;
    const keep = Math.min(this.sampleRows, this.#sampled + other.#sampled);
    if (keep === 0) return;
    const random = seededRandom((this.seed + this.#rows * 31 + other.#rows) | 0);
    const order = (n: number): number[] => {
      const idx = Array.from({ length: n }, (_, i) => i);
      random.shuffle(idx);
      return idx;
    };
    const mine = order(this.#sampled);
    const theirs = order(other.#sampled);
    let restMine = this.#rows;
    let restTheirs = other.#rows;
    const merged = new Float64Array(this.sampleRows * width);
    let taken = 0;
    let a = 0;
    let b = 0;
    while (taken < keep) {
      const fromMine =
        b >= theirs.length || (a < mine.length && random.nextFloat() * (restMine + restTheirs) < restMine);
      const [source, row] = fromMine ? [this.#sample, mine[a++]!] : [other.#sample, theirs[b++]!];
      merged.set(source.subarray(row * width, (row + 1) * width), taken * width);
      if (fromMine) restMine--;
      else restTheirs--;
      taken++;
    }
    this.#sample = merged;
    this.#sampled = keep;
  }
}
