import { describe, expect, it } from 'vitest';
import {
  detectorCounter,
  formatOutlierLive,
  type OutlierLiveBenchResult,
  outlierLiveChecks,
} from './outlier-live-bench.js';

const METRICS = `# TYPE sightline_outlier_scored_total counter
sightline_outlier_scored_total{detector="iris-od",model="iris"} 1500
sightline_outlier_scored_total{detector="iris-od",model="other"} 500
sightline_outlier_scored_total{detector="cc",model="iris"} 7
sightline_outlier_flagged_total{detector="iris-od",model="iris"} 60
`;

const result = (scoredEventsPerSec: number, drained = true): OutlierLiveBenchResult => ({
  clients: 4,
  batchEvents: 500,
  durationMs: 10_000,
  acceptedEvents: 300_000,
  acceptedEventsPerSec: 30_000,
  tooManyRequests: 2,
  otherFailures: 0,
  scoredEvents: 300_000,
  flaggedEvents: 12_000,
  scoredEventsPerSec,
  drainSeconds: 0.4,
  drained,
  serviceCpuUsPerEvent: 25,
  directEventsPerSec: 400_000,
  ratio: scoredEventsPerSec / 400_000,
});

describe('outlier live bench', () => {
  it("sums a detector's counter over its models and leaves other detectors out", () => {
    expect(detectorCounter(METRICS, 'sightline_outlier_scored_total', 'iris-od')).toBe(2000);
    expect(detectorCounter(METRICS, 'sightline_outlier_flagged_total', 'iris-od')).toBe(60);
    expect(detectorCounter(METRICS, 'sightline_outlier_flagged_total', 'cc')).toBe(0);
  });

  it('checks the lower of the accepted and scored rates against 20,000 events/s', () => {
    expect(outlierLiveChecks(result(25_000))[0]).toMatchObject({ value: 25_000, verdict: 'PASS' });
    expect(outlierLiveChecks(result(19_000))[0]).toMatchObject({ value: 19_000, verdict: 'FAIL' });
  });

  it('fails a run whose accepted events were not all scored before the timeout', () => {
    expect(outlierLiveChecks(result(25_000, false))[0]).toMatchObject({ value: 0, verdict: 'FAIL' });
    expect(formatOutlierLive(result(25_000, false))).toContain('NOT drained before the timeout');
  });

  it('prints both rates, the in-process baseline and their ratio', () => {
    const text = formatOutlierLive(result(25_000));
    expect(text).toContain('accepted 300000 events, 30000 events/s; 429/503 answers 2, other failures 0');
    expect(text).toContain('scored 300000 (flagged 12000), 25000 events/s');
    expect(text).toContain('500 rows per call, 200000 events): 400000 events/s');
    expect(text).toContain('via POST /events / in process: 0.063x');
    expect(text).toContain('service CPU per scored event: 25.0 us (40000 events per CPU-second)');
  });
});
