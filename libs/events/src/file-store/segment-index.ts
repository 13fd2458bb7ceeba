import { readFile, rename, writeFile } from 'node:fs/promises';
import { BloomFilter } from './bloom-filter.js';
import { SCHEMA_VERSION } from './record-format.js';

/**
 * What is known about one segment without reading it: its time span, size, record count
 * and a Bloom filter of its request ids. Sealed segments persist it in a sidecar
 * `<segment>.idx` (JSON), written once when the segment is sealed.
 */
export interface SegmentIndex {
  readonly schemaVersion: number;
  /** Earliest event time in the segment (ms since epoch); Infinity when empty. */
  readonly minTimeUnixMs: number;
  /** Latest event time in the segment (ms since epoch); -Infinity when empty. */
  readonly maxTimeUnixMs: number;
  /** Records (including duplicates from retries). */
  readonly records: number;
  /** File size in bytes, header included. */
  readonly bytes: number;
  /** Bloom filter of request ids, base64. */
  readonly requestIdBloom: string;
  /** Hash count of the Bloom filter. */
  readonly bloomHashes: number;
}

interface SegmentIndexJson extends Omit<SegmentIndex, 'minTimeUnixMs' | 'maxTimeUnixMs'> {
  readonly minTimeUnixMs: number | null;
  readonly maxTimeUnixMs: number | null;
}

/** The sidecar file name of a segment. */
export function indexPathFor(segmentPath: string): string {
  return `${segmentPath}.idx`;
}

/** Builds an index from a segment's request ids and time span. */
export function buildIndex(
  requestIds: Iterable<string>,
  requestIdCount: number,
  minTimeUnixMs: number,
  maxTimeUnixMs: number,
  records: number,
  bytes: number,
): SegmentIndex {
  const bloom = BloomFilter.forKeys(requestIdCount);
  for (const id of requestIds) bloom.add(id);
  return {
    schemaVersion: SCHEMA_VERSION,
    minTimeUnixMs,
    maxTimeUnixMs,
    records,
    bytes,
    requestIdBloom: bloom.toBase64(),
    bloomHashes: bloom.hashes,
  };
}

/** Writes the sidecar atomically (temp file + rename), so a crash leaves none or a whole one. */
export async function writeIndex(segmentPath: string, index: SegmentIndex): Promise<void> {
  const json: SegmentIndexJson = {
    ...index,
    minTimeUnixMs: Number.isFinite(index.minTimeUnixMs) ? index.minTimeUnixMs : null,
    maxTimeUnixMs: Number.isFinite(index.maxTimeUnixMs) ? index.maxTimeUnixMs : null,
  };
  const path = indexPathFor(segmentPath);
  await writeFile(`${path}.tmp`, JSON.stringify(json));
  await rename(`${path}.tmp`, path);
}

/**
 * Whether an index describes the whole of its segment as it is now. An index covers the
 * first `index.bytes` bytes; a segment that is longer (appended to after the index was
 * written, e.g. by a writer that outlived a reader's snapshot) or shorter (truncated)
 * holds records the index knows nothing about, so the index must not be trusted.
 */
export function isIndexCurrent(index: SegmentIndex, segmentBytes: number): boolean {
  return index.bytes === segmentBytes;
}

/** Reads a sidecar; undefined when it is missing, unreadable or of a newer version (then the segment is rescanned). */
export async function readIndex(segmentPath: string): Promise<SegmentIndex | undefined> {
  try {
    const json = JSON.parse(await readFile(indexPathFor(segmentPath), 'utf8')) as SegmentIndexJson;
    if (json.schemaVersion !== SCHEMA_VERSION || typeof json.requestIdBloom !== 'string') return undefined;
    return {
      ...json,
      minTimeUnixMs: json.minTimeUnixMs ?? Number.POSITIVE_INFINITY,
      maxTimeUnixMs: json.maxTimeUnixMs ?? Number.NEGATIVE_INFINITY,
    };
  } catch {
    return undefined;
  }
}
