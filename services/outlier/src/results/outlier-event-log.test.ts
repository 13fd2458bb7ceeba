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

  it('rolls segments, deletes the oldest past retention, and pages across segments and restarts', async () => {
    const d = await dir();
    const lineBytes = (i: number) =>
      Buffer.byteLength(`${JSON.stringify({ schemaVersion: 1, event: record(i) })}\n`);
    const limits = { segmentBytes: 10 * lineBytes(10), retentionBytes: 30 * lineBytes(10) };
    const log = await OutlierEventLog.open(d, 100, () => {}, limits);
    for (let i = 10; i < 40; i++) await log.append([record(i, i % 2 ? 'a' : 'b')]);
    const first = await log.list({ detector: 'a', pageSize: 4 });
    expect(first.events.map((e) => e.eventId)).toEqual(['e39', 'e37', 'e35', 'e33']);
    expect(log.segmentCount).toBe(3);
    expect(log.bytes).toBe(30 * lineBytes(10));
    // The next commits roll a fourth segment, and retention deletes the first (e10..e19).
    for (let i = 40; i < 45; i++) await log.append([record(i, i % 2 ? 'a' : 'b')]);
    expect(log.segmentCount).toBe(3);
    expect(log.count).toBe(25);
    const rest: string[] = [];
    for (let token = first.nextPageToken; token; ) {
      const page = await log.list({ detector: 'a', pageSize: 4, pageToken: token });
      rest.push(...page.events.map((e) => e.eventId));
      token = page.nextPageToken;
    }
    expect(rest).toEqual(['e31', 'e29', 'e27', 'e25', 'e23', 'e21']);
    await log.close();
    const reopened = await OutlierEventLog.open(d, 100, () => {}, limits);
    expect(reopened.count).toBe(25);
    expect((await reopened.list({ pageSize: 1000 })).events.at(-1)?.eventId).toBe('e20');
    await reopened.close();
  });
});
