import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIndex, indexPathFor, isIndexCurrent, readIndex, writeIndex } from './segment-index.js';
import { listSegmentViews } from './segment-listing.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('segment index', () => {
  const index = buildIndex(['req-a', 'req-b'], 2, 10, 20, 2, 300);

  it('is current only when it covers exactly the bytes the segment holds', () => {
    expect(isIndexCurrent(index, 300)).toBe(true);
    expect(isIndexCurrent(index, 301)).toBe(false); // appended to after the index was written
    expect(isIndexCurrent(index, 299)).toBe(false); // truncated
  });

  it('round-trips through its sidecar, empty time spans included', async () => {
    const segment = join(dir, '0000000000001-000000.seg');
    await writeIndex(segment, index);
    expect(await readIndex(segment)).toEqual(index);
    const empty = buildIndex([], 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 90);
    await writeIndex(segment, empty);
    expect(await readIndex(segment)).toEqual(empty);
    await writeFile(indexPathFor(segment), '{not json');
    expect(await readIndex(segment)).toBeUndefined();
  });

  it('a listing uses an index only while it is current, and reads a lagging segment to its end', async () => {
    const segment = join(dir, '0000000000001-000000.seg');
    await writeFile(segment, Buffer.alloc(300));
    await writeIndex(segment, index);
    const cache = new Map();
    const [indexed] = await listSegmentViews(dir, cache);
    expect(indexed).toMatchObject({ endBytes: 300, minTimeUnixMs: 10, maxTimeUnixMs: 20 });
    expect(indexed!.mayHoldRequest('req-a')).toBe(true);

    await writeFile(segment, Buffer.alloc(450)); // the segment grew past its index
    const [live] = await listSegmentViews(dir, cache);
    expect(live).toMatchObject({ endBytes: 450, minTimeUnixMs: Number.NEGATIVE_INFINITY });
    expect(live!.mayHoldRequest('req-unknown')).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('a listing of a directory that does not exist is empty and creates nothing', async () => {
    expect(await listSegmentViews(join(dir, 'absent'), new Map())).toEqual([]);
  });
});
