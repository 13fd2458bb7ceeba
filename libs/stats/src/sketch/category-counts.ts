import { InvalidArgumentError } from '@sightline/errors';

/** Distinct categories kept by default before further new ones are pooled as overflow. */
export const DEFAULT_MAX_CATEGORIES = 10_000;
/** Version of {@link CategoryCountsJson}. */
export const CATEGORY_COUNTS_SCHEMA_VERSION = 1;

/** Serialised {@link CategoryCounts}. */
export interface CategoryCountsJson {
  readonly schemaVersion: number;
  readonly maxCategories: number;
  /** [category, count] pairs; a category keeps its type (string or number). */
  readonly counts: readonly (readonly [string | number, number])[];
  readonly overflow: number;
}

/**
 * Mergeable counts per category for a categorical column (the exact counterpart of a quantile
 * sketch: merging is addition, so replicas' windows merge without error). At most
 * `maxCategories` distinct categories are kept; values of further new categories are added to
 * {@link overflow} rather than dropped, so totals stay right and the limit is visible.
 */
export class CategoryCounts {
  readonly #counts = new Map<string | number, number>();
  readonly #maxCategories: number;
  #overflow = 0;

  /** @param options.maxCategories default {@link DEFAULT_MAX_CATEGORIES}. */
  constructor(options: { readonly maxCategories?: number } = {}) {
    const max = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
    if (!Number.isInteger(max) || max < 1)
      throw new InvalidArgumentError(`maxCategories: expected a positive integer, got ${max}`);
    this.#maxCategories = max;
  }

  /** Adds `count` (default 1) to `category`. */
  add(category: string | number, count = 1): this {
    if (!(Number.isFinite(count) && count >= 0)) {
      throw new InvalidArgumentError(
        `category "${String(category)}": count ${count} must be finite and >= 0`,
      );
    }
    if (typeof category === 'number' && Number.isNaN(category))
      throw new InvalidArgumentError('category: NaN is not allowed');
    const current = this.#counts.get(category);
    if (current !== undefined) this.#counts.set(category, current + count);
    else if (this.#counts.size < this.#maxCategories) this.#counts.set(category, count);
    else this.#overflow += count;
    return this;
  }

  /** Adds every value once. */
  addAll(values: Iterable<string | number>): this {
    for (const v of values) this.add(v);
    return this;
  }

  /** Adds `other`'s counts (and overflow) into this one. */
  merge(other: CategoryCounts): this {
    for (const [category, count] of other.#counts) this.add(category, count);
    this.#overflow += other.#overflow;
    return this;
  }

  /** Count of one category (0 when unseen). */
  get(category: string | number): number {
    return this.#counts.get(category) ?? 0;
  }

  /** Values of categories beyond `maxCategories`. */
  get overflow(): number {
    return this.#overflow;
  }

  /** All values counted, overflow included. */
  get total(): number {
    let total = this.#overflow;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** The counts as a map (a copy), as {@link categoricalEffectSizes} takes them. */
  toMap(): Map<string | number, number> {
    return new Map(this.#counts);
  }

  /** Versioned JSON form. */
  toJSON(): CategoryCountsJson {
    return {
      schemaVersion: CATEGORY_COUNTS_SCHEMA_VERSION,
      maxCategories: this.#maxCategories,
      counts: [...this.#counts],
      overflow: this.#overflow,
    };
  }

  /** Restores counts written by {@link toJSON}. */
  static fromJSON(json: CategoryCountsJson): CategoryCounts {
    if (json.schemaVersion !== CATEGORY_COUNTS_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `category counts: schemaVersion ${json.schemaVersion} is not supported (expected ${CATEGORY_COUNTS_SCHEMA_VERSION})`,
      );
    }
    if (!Array.isArray(json.counts) || !(Number.isFinite(json.overflow) && json.overflow >= 0)) {
      throw new InvalidArgumentError(
        'category counts: counts must be [category, count] pairs and overflow a count >= 0',
      );
    }
    const restored = new CategoryCounts({ maxCategories: json.maxCategories });
    for (const [category, count] of json.counts) restored.add(category, count);
    restored.#overflow += json.overflow;
    return restored;
  }
}
