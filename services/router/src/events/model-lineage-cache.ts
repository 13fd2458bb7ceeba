/**
 * The lineage (ModelMetadata's `source_uri` and `lineage.*` parameters) of each model
 * version the router has called, for its inference events. Looked up once per address,
 * model and version, off the request's path: the first request of a version starts the
 * fetch, and its event (built later, when the event pipeline drains) reads what has
 * arrived by then. Bounded in entries and refreshed after a while (a version re-uploaded
 * under the same number may carry new lineage).
 */
import { cancellationOf } from '@sightline/errors';
import type { CallOptions, ModelTarget } from '../engine/ports.js';

/** Most versions remembered; the least recently added is forgotten first. */
export const DEFAULT_LINEAGE_CACHE_ENTRIES = 1024;
/** How long a version's lineage is kept before it is fetched again, in ms. */
export const LINEAGE_REFRESH_MS = 300_000;
/** How long after a failed fetch it is tried again, in ms. */
export const LINEAGE_RETRY_MS = 30_000;
/** How long one ModelMetadata call may take, in ms. */
export const LINEAGE_FETCH_TIMEOUT_MS = 5_000;

/** A version's lineage as the event records it; empty when it has none. */
export type ModelLineage = Readonly<Record<string, string>>;

/** Reads a version's lineage from its model-server (ModelMetadata parameters). */
export type LineageFetcher = (target: ModelTarget, options: CallOptions) => Promise<ModelLineage>;

interface Entry {
  value: ModelLineage | undefined;
  /** When to fetch again, epoch ms. */
  refreshAt: number;
  fetching: boolean;
}

/** Options of {@link ModelLineageCache}. */
export interface ModelLineageCacheOptions {
  readonly maxEntries?: number;
  readonly now?: () => number;
  /** Called with each failed fetch (logged by the router; the event goes without lineage). */
  readonly onError?: (target: ModelTarget, error: unknown) => void;
}

export class ModelLineageCache {
  readonly #fetch: LineageFetcher;
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #onError: (target: ModelTarget, error: unknown) => void;

  constructor(fetch: LineageFetcher, options: ModelLineageCacheOptions = {}) {
    this.#fetch = fetch;
    this.#maxEntries = options.maxEntries ?? DEFAULT_LINEAGE_CACHE_ENTRIES;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Starts a fetch of the version's lineage when none is known or it is due for a refresh,
   * and answers a reader of it, called when the event is built. Never throws, never waits.
   * A target without a version (the upstream named none) has no lineage.
   */
  lookup(target: ModelTarget): () => ModelLineage | undefined {
    if (target.modelVersion === '' || target.modelName === '') return () => undefined;
    const key = `${target.address}\u0000${target.modelName}\u0000${target.modelVersion}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { value: undefined, refreshAt: 0, fetching: false };
      this.#entries.set(key, entry);
      if (this.#entries.size > this.#maxEntries) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    if (!entry.fetching && this.#now() >= entry.refreshAt) this.#start(target, entry);
    const held = entry;
    return () => held.value;
  }

  #start(target: ModelTarget, entry: Entry): void {
    entry.fetching = true;
    const options: CallOptions = {
      deadlineMs: this.#now() + LINEAGE_FETCH_TIMEOUT_MS,
      cancellation: cancellationOf(AbortSignal.timeout(LINEAGE_FETCH_TIMEOUT_MS), 'the lineage lookup'),
    };
    this.#fetch(target, options).then(
      (value) => {
        entry.value = Object.freeze({ ...value });
        entry.refreshAt = this.#now() + LINEAGE_REFRESH_MS;
        entry.fetching = false;
      },
      (error: unknown) => {
        entry.refreshAt = this.#now() + LINEAGE_RETRY_MS;
        entry.fetching = false;
        this.#onError(target, error);
      },
    );
  }
}

/** The lineage among ModelMetadata's string parameters: `source_uri` and `lineage.*`. */
export function lineageOf(parameters: Readonly<Record<string, string>> | undefined): ModelLineage {
  const lineage: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key === 'source_uri' || key.startsWith('lineage.')) lineage[key] = value;
  }
  return lineage;
}
