import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlRecordLog } from './jsonl-record-log.js';

interface Item {
  readonly id: number;
}

const open = (directory: string, commitBatch = 100) =>
  JsonlRecordLog.open<Item, { id: number }>({
    directory,
    fileName: 'items.jsonl',
    schemaVersion: 1,
    commitBatch,
    tokenPrefix: 't1.',
    entryOf: (item) => ({ id: item.id }),
    isRecord: (value): value is Item => typeof (value as Item | null)?.id === 'number',
    what: 'an item',
  });

describe('JsonlRecordLog', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('takes appends made one after another as each resolves (none stranded)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jsonl-log-'));
    dirs.push(dir);
    const log = await open(dir);
    for (let id = 0; id < 20; id++) await log.append([{ id }]);
    expect(log.count).toBe(20);
    const page = await log.page(5, '', (entry) => entry.id % 2 === 0);
    expect(page.records.map((r) => r.id)).toEqual([18, 16, 14, 12, 10]);
    const next = await log.page(5, page.nextPageToken, (entry) => entry.id % 2 === 0);
    expect(next.records.map((r) => r.id)).toEqual([8, 6, 4, 2, 0]);
    await log.close();
  });

  it('groups concurrent appends, bounded by the batch', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jsonl-log-'));
    dirs.push(dir);
    const log = await open(dir, 4);
    await Promise.all(Array.from({ length: 9 }, (_, id) => log.append([{ id }])));
    // The first alone, then the 8 waiting in groups of at most 4.
    expect(log.commits).toBe(3);
    await log.close();
    const reopened = await open(dir);
    expect(reopened.count).toBe(9);
    await expect(reopened.page(1, 'x1.MQ', () => true)).rejects.toThrow('page_token');
    await reopened.close();
  });
});

describe('JsonlRecordLog segments and retention', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const dir = async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'jsonl-seg-'));
    dirs.push(d);
    return d;
  };
  // `{"schemaVersion":1,"event":{"id":NN}}\n` is 38 bytes for a two-digit id.
  const LINE = 38;
  const openSegmented = (
    directory: string,
    limits: { segmentBytes?: number; retentionBytes?: number; retentionMs?: number; now?: () => number },
    problems: string[] = [],
  ) =>
    JsonlRecordLog.open<Item, { id: number }>({
      directory,
      fileName: 'items.jsonl',
      schemaVersion: 1,
      commitBatch: 100,
      tokenPrefix: 't1.',
      entryOf: (item) => ({ id: item.id }),
      isRecord: (value): value is Item => typeof (value as Item | null)?.id === 'number',
      what: 'an item',
      onProblem: (p) => problems.push(`${path.basename(p.file ?? '')}:${p.line}: ${p.reason}`),
      ...limits,
    });
  const all = async (log: JsonlRecordLog<Item, { id: number }>, pageSize: number) => {
    const ids: number[] = [];
    let token = '';
    do {
      const page = await log.page(pageSize, token, () => true);
      ids.push(...page.records.map((r) => r.id));
      token = page.nextPageToken;
    } while (token);
    return ids;
  };
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => to - 1 - i);

  it('rolls a segment before a commit that would pass its size, and pages across segments', async () => {
    const d = await dir();
    const log = await openSegmented(d, { segmentBytes: 4 * LINE, retentionBytes: 0 });
    for (let id = 10; id < 20; id++) await log.append([{ id }]);
    expect(log.segmentCount).toBe(3);
    expect(log.bytes).toBe(10 * LINE);
    expect((await readdir(d)).sort()).toEqual([
      'items.000000000000004.jsonl',
      'items.000000000000008.jsonl',
      'items.jsonl',
    ]);
    expect(await all(log, 3)).toEqual(range(10, 20));
    // A token taken before a roll continues across it.
    const first = await log.page(3, '', () => true);
    for (let id = 20; id < 25; id++) await log.append([{ id }]);
    const next = await log.page(3, first.nextPageToken, () => true);
    expect(next.records.map((r) => r.id)).toEqual([16, 15, 14]);
    await log.close();
    const reopened = await openSegmented(d, { segmentBytes: 4 * LINE, retentionBytes: 0 });
    expect(reopened.count).toBe(15);
    expect(await all(reopened, 4)).toEqual(range(10, 25));
    const after = await reopened.page(3, first.nextPageToken, () => true);
    expect(after.records.map((r) => r.id)).toEqual([16, 15, 14]);
    await reopened.append([{ id: 25 }]);
    expect((await reopened.page(1, '', () => true)).records).toEqual([{ id: 25 }]);
    await reopened.close();
  });

  it('deletes the oldest segments past the byte limit; a token into a deleted one ends the listing', async () => {
    const d = await dir();
    const deleted: string[] = [];
    const log = await JsonlRecordLog.open<Item, { id: number }>({
      directory: d,
      fileName: 'items.jsonl',
      schemaVersion: 1,
      commitBatch: 100,
      tokenPrefix: 't1.',
      entryOf: (item) => ({ id: item.id }),
      isRecord: (value): value is Item => typeof (value as Item | null)?.id === 'number',
      what: 'an item',
      segmentBytes: 4 * LINE,
      retentionBytes: 8 * LINE,
      onSegmentDeleted: (segment) => deleted.push(`${path.basename(segment.file)}:${segment.records}`),
    });
    for (let id = 10; id < 18; id++) await log.append([{ id }]);
    const oldToken = (await log.page(6, '', () => true)).nextPageToken;
    const midToken = (await log.page(2, '', () => true)).nextPageToken;
    for (let id = 18; id < 22; id++) await log.append([{ id }]);
    expect(deleted).toEqual(['items.jsonl:4']);
    expect(log.bytes).toBe(8 * LINE);
    expect(log.segmentCount).toBe(2);
    expect(await readdir(d)).not.toContain('items.jsonl');
    expect(await all(log, 5)).toEqual(range(14, 22));
    // Its position (before id 12) was deleted: nothing older is kept.
    expect(await log.page(5, oldToken, () => true)).toEqual({ records: [], nextPageToken: '' });
    // A token into a kept segment continues as before.
    expect((await log.page(10, midToken, () => true)).records.map((r) => r.id)).toEqual(range(14, 16));
    await log.close();
    const reopened = await openSegmented(d, { segmentBytes: 4 * LINE, retentionBytes: 8 * LINE });
    expect(await all(reopened, 3)).toEqual(range(14, 22));
    await reopened.append([{ id: 22 }]);
    expect(reopened.segmentCount).toBe(2);
    expect(await all(reopened, 100)).toEqual(range(18, 23));
    await reopened.close();
  });

  it('deletes segments older than the age limit, never the one being written', async () => {
    const d = await dir();
    let clock = 1_000_000;
    const limits = { segmentBytes: 2 * LINE, retentionBytes: 0, retentionMs: 60_000, now: () => clock };
    const log = await openSegmented(d, limits);
    for (let id = 10; id < 14; id++) await log.append([{ id }]);
    expect(log.segmentCount).toBe(2);
    clock += 61_000;
    await log.append([{ id: 14 }]);
    expect(log.segmentCount).toBe(1);
    expect(await all(log, 10)).toEqual([14]);
    clock += 120_000;
    await log.append([{ id: 15 }]);
    expect(await all(log, 10)).toEqual([15, 14]);
    await log.close();
  });

  it('cuts a torn tail of the newest segment at open (a kill -9 mid-write)', async () => {
    const d = await dir();
    const log = await openSegmented(d, { segmentBytes: 4 * LINE, retentionBytes: 0 });
    for (let id = 10; id < 16; id++) await log.append([{ id }]);
    const newest = log.file;
    await log.close();
    await appendFile(newest, '{"schemaVersion":1,"event":{"id":1');
    const problems: string[] = [];
    const reopened = await openSegmented(d, { segmentBytes: 4 * LINE, retentionBytes: 0 }, problems);
    expect(problems).toEqual(['items.000000000000004.jsonl:3: torn last line removed']);
    expect(reopened.count).toBe(6);
    await reopened.append([{ id: 16 }]);
    expect(await all(reopened, 4)).toEqual(range(10, 17));
    await reopened.close();
    expect((await readFile(newest, 'utf8')).endsWith('}}\n')).toBe(true);
  });
});
