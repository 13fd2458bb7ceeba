import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriftEventRecord } from './drift-event.js';
import { DRIFT_EVENT_LOG_FILE, DriftEventLog, type LogProblem } from './drift-event-log.js';

function record(i: number, detector = 'd1', isDrift = i % 2 === 0): DriftEventRecord {
  return {
    eventId: `e${i}`,
    detector,
    detectorVersion: 1,
    origin: 'live',
    modelName: 'iris',
    modelVersion: '',
    windowStartUnixMs: i * 1000,
    windowEndUnixMs: i * 1000 + 500,
    events: 10,
    rows: 10,
    requestIds: [`r${i}`],
    requestIdCount: 1,
    closedBy: 'rows',
    timeUnixMs: i * 1000 + 600,
    verdict: { isDrift, threshold: 0.0125, features: [], pValueAlpha: 0.05, verdictOn: 'p_value', rows: 10 },
  };
}

describe('DriftEventLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'drift-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pages newest first with filters and tokens, and reads back after reopening', async () => {
    const log = await DriftEventLog.open(dir);
    for (let i = 1; i <= 7; i++) await log.append(record(i, i === 3 ? 'd2' : 'd1'));
    const first = await log.list({ detector: 'd1', pageSize: 3 });
    expect(first.events.map((e) => e.eventId)).toEqual(['e7', 'e6', 'e5']);
    const second = await log.list({ detector: 'd1', pageSize: 3, pageToken: first.nextPageToken });
    expect(second.events.map((e) => e.eventId)).toEqual(['e4', 'e2', 'e1']);
    expect(second.nextPageToken).toBe('');
    expect((await log.list({ driftOnly: true })).events.map((e) => e.eventId)).toEqual(['e6', 'e4', 'e2']);
    expect((await log.list({ fromUnixMs: 5000, toUnixMs: 6600 })).events.map((e) => e.eventId)).toEqual([
      'e6',
      'e5',
    ]);
    await log.close();
    const reopened = await DriftEventLog.open(dir);
    expect(reopened.count).toBe(7);
    expect((await reopened.list({ pageSize: 1 })).events[0]).toEqual(record(7));
    await reopened.close();
  });

  it('cuts a torn last line and skips a corrupt one, reporting both', async () => {
    const log = await DriftEventLog.open(dir);
    await log.append(record(1));
    await log.close();
    const file = path.join(dir, DRIFT_EVENT_LOG_FILE);
    await appendFile(file, 'not json\n{"schemaVersion":1,"event":{"eventId":"torn"');
    const problems: LogProblem[] = [];
    const reopened = await DriftEventLog.open(dir, (p) => problems.push(p));
    expect(problems.map((p) => p.reason)).toEqual(['torn last line removed', 'not JSON']);
    expect(reopened.count).toBe(1);
    await reopened.append(record(2));
    expect((await reopened.list({})).events.map((e) => e.eventId)).toEqual(['e2', 'e1']);
    await reopened.close();
    expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
  });

  it('refuses a page size over the maximum and a token it did not issue', async () => {
    await writeFile(path.join(dir, DRIFT_EVENT_LOG_FILE), '');
    const log = await DriftEventLog.open(dir);
    await expect(log.list({ pageSize: 1001 })).rejects.toThrow('page_size: 1001; at most 1000');
    await expect(log.list({ pageToken: 'forged' })).rejects.toThrow('was not issued by this service');
    await log.close();
  });

  it('keeps its limits: segments rolled, the oldest deleted past retention, pages across them', async () => {
    const limits = { segmentBytes: 1, retentionBytes: 1 };
    const log = await DriftEventLog.open(dir, () => {}, limits);
    for (let i = 1; i <= 4; i++) await log.append(record(i));
    // Every commit starts a segment (each is past 1 byte), and retention keeps only the newest.
    expect(log.segmentCount).toBe(1);
    expect((await log.list({})).events.map((e) => e.eventId)).toEqual(['e4']);
    await log.close();
    const unlimited = await DriftEventLog.open(dir, () => {}, { segmentBytes: 1, retentionBytes: 0 });
    for (let i = 5; i <= 7; i++) await unlimited.append(record(i));
    expect(unlimited.segmentCount).toBe(4);
    const first = await unlimited.list({ pageSize: 2 });
    const second = await unlimited.list({ pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.events, ...second.events].map((e) => e.eventId)).toEqual(['e7', 'e6', 'e5', 'e4']);
    expect(second.nextPageToken).toBe('');
    await unlimited.close();
  });
});
