import { mkdtemp, rm } from 'node:fs/promises';
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
