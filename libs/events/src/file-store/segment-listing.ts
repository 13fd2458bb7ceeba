import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BloomFilter } from './bloom-filter.js';
import { isIndexCurrent, readIndex, type SegmentIndex } from './segment-index.js';

/** Segment file names: `<createdUnixMs, 13 digits>-<seq, 6 digits>.seg`, sorting by creation. */
export const SEGMENT_NAME = /^(\d{13})-(\d{6})\.seg$/;

/** A segment as a reader sees it: where it is, how far to read, and what it may hold. */
export interface SegmentView {
  readonly path: string;
  /** Read up to here: the bytes committed when the view was taken. */
  readonly endBytes: number;
  readonly minTimeUnixMs: number;
  readonly maxTimeUnixMs: number;
  mayHoldRequest(requestId: string): boolean;
}

/** An index checked against its segment, with its Bloom filter decoded once. */
export interface CachedIndex {
  readonly index: SegmentIndex;
  readonly bloom: BloomFilter;
}

/** Decodes an index's Bloom filter. */
export function bloomOf(index: SegmentIndex): BloomFilter {
  return BloomFilter.fromBase64(index.requestIdBloom, index.bloomHashes);
}

/** The view of a segment described by an index that covers it whole. */
export function indexedView(path: string, cached: CachedIndex): SegmentView {
  return {
    path,
    endBytes: cached.index.bytes,
    minTimeUnixMs: cached.index.minTimeUnixMs,
    maxTimeUnixMs: cached.index.maxTimeUnixMs,
    mayHoldRequest: (id: string) => cached.bloom.mightContain(id),
  };
}

/**
 * Lists a store directory as a reader, touching nothing: one view per segment, oldest
 * first. A segment whose sidecar index covers its current length is described by the
 * index; any other (the live segment a writer is appending to, one a crash left without
 * an index, one whose index lags behind its length) is read whole, up to its length now,
 * so every event committed before this call is seen. Indexes are immutable once current,
 * so `cache` (segment name -> index) saves re-reading them; names no longer listed
 * (deleted by retention) are dropped from it.
 */
export async function listSegmentViews(
  directory: string,
  cache: Map<string, CachedIndex>,
): Promise<SegmentView[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => SEGMENT_NAME.test(n)).sort();
  } catch (error) {
    // No directory yet: the writer has not started. Nothing to read, nothing to create.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const listed = new Set(names);
  for (const name of cache.keys()) if (!listed.has(name)) cache.delete(name);
  const views: SegmentView[] = [];
  for (const name of names) {
    const path = join(directory, name);
    let bytes: number;
    try {
      bytes = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
      throw error;
    }
    let cached = cache.get(name);
    if (!cached || !isIndexCurrent(cached.index, bytes)) {
      const index = await readIndex(path);
      cached = index && isIndexCurrent(index, bytes) ? { index, bloom: bloomOf(index) } : undefined;
      if (cached) cache.set(name, cached);
      else cache.delete(name);
    }
    views.push(
      cached
        ? indexedView(path, cached)
        : {
            path,
            endBytes: bytes,
            minTimeUnixMs: Number.NEGATIVE_INFINITY,
            maxTimeUnixMs: Number.POSITIVE_INFINITY,
            mayHoldRequest: () => true,
          },
    );
  }
  return views;
}
