import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutlierEventRecord } from '../data-plane/outlier-types.js';
import { OUTLIER_EVENT_LOG_FILE, OutlierEventLog } from './outlier-event-log.js';

const record = (i: number, detector = 'd', isOutlier = false): OutlierEventRecord => ({
  eventId: `e${i}`,
  detector,
  detectorVersion: 1,
  requestId: `r${i}`,
  traceId: '',
  modelName: 'iris',
  modelVersion: '1',
  graph: '',
  eventTimeUnixMs: i,
  timeUnixMs: 1000 + i,
  isOutlier,
  score: i,
  threshold: 0.5,
  rowIsOutlier: [isOutlier],
  rowScore: [i],
});

describe('OutlierEventLog', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const dir = async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'outlier-log-'));
    dirs.push(d);
    return d;
  };

  it('groups concurrent appends into few commits, each acknowledged once on disk', async () => {
    const d = await dir();
    const log = await OutlierEventLog.open(d, 1000);
    const appends = Array.from({ length: 50 }, (_, i) =>
      log.append([record(2 * i), record(2 * i + 1, 'd', i % 10 === 0)]),
    );
    await Promise.all(appends);
    expect(log.count).toBe(100);
    // The first append writes alone; the 49 that arrived meanwhile share the next commit.
    expect(log.commits).toBe(2);
    const page = await log.list({ pageSize: 3 });
    expect(page.events.map((e) => e.eventId)).toEqual(['e99', 'e98', 'e97']);
    const outliers = await log.list({ outliersOnly: true });
    expect(outliers.events.map((e) => e.eventId)).toEqual(['e81', 'e61', 'e41', 'e21', 'e1']);
    await log.close();
  });

  it('bounds a commit by its batch, pages with tokens, and filters by request and time', async () => {
    const d = await dir();
    const log = await OutlierEventLog.open(d, 3);
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append([record(i, i % 2 ? 'a' : 'b')])));
    expect(log.commits).toBeGreaterThanOrEqual(4);
    const first = await log.list({ detector: 'a', pageSize: 2 });
    const second = await log.list({ detector: 'a', pageSize: 2, pageToken: first.nextPageToken });
    const third = await log.list({ detector: 'a', pageSize: 2, pageToken: second.nextPageToken });
    expect([...first.events, ...second.events, ...third.events].map((e) => e.eventId)).toEqual([
      'e9',
      'e7',
      'e5',
      'e3',
      'e1',
    ]);
    expect(third.nextPageToken).toBe('');
    expect((await log.list({ requestId: 'r4' })).events.map((e) => e.eventId)).toEqual(['e4']);
    expect((await log.list({ fromUnixMs: 1003, toUnixMs: 1005 })).events.map((e) => e.eventId)).toEqual([
      'e4',
      'e3',
    ]);
    await expect(log.list({ pageToken: 'oe1.bm9wZQ' })).rejects.toThrow('page_token');
    await log.close();
  });

  it('cuts a torn last line and skips a bad one at open, reporting both', async () => {
    const d = await dir();
    const log = await OutlierEventLog.open(d, 100);
    await log.append([record(1), record(2)]);
    await log.close();
    const file = path.join(d, OUTLIER_EVENT_LOG_FILE);
    await appendFile(file, 'not json\n{"schemaVersion":1,"event":{"eventId":"torn"');
    const problems: string[] = [];
    const again = await OutlierEventLog.open(d, 100, (p) => problems.push(`${p.line}: ${p.reason}`));
    expect(problems).toEqual(['4: torn last line removed', '3: not JSON']);
    expect(again.count).toBe(2);
    await again.append([record(3)]);
    expect((await again.list({})).events.map((e) => e.eventId)).toEqual(['e3', 'e2', 'e1']);
    await again.close();
    expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
  });
});
