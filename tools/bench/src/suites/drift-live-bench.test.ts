import { toCloudEvent } from '@sightline/events';
import { describe, expect, it } from 'vitest';
import {
  cloudEventJson,
  type DriftLiveBenchResult,
  driftLiveChecks,
  exportBuckets,
  formatDriftLive,
  histogramQuantile,
  irisEvent,
  metricSamples,
  quantile,
} from './drift-live-bench.js';

const METRICS = `# HELP sightline_drift_window_export_seconds x
# TYPE sightline_drift_window_export_seconds histogram
sightline_drift_window_export_seconds_bucket{le="0.005",detector="iris-ks"} 50
sightline_drift_window_export_seconds_bucket{le="0.01",detector="iris-ks"} 90
sightline_drift_window_export_seconds_bucket{le="0.05",detector="iris-ks"} 100
sightline_drift_window_export_seconds_bucket{le="+Inf",detector="iris-ks"} 100
sightline_drift_window_export_seconds_bucket{le="+Inf",detector="other"} 3
sightline_drift_windows_closed_total{detector="iris-ks",closed_by="rows",drift="false"} 97
sightline_drift_windows_closed_total{detector="iris-ks",closed_by="rows",drift="true"} 3
sightline_drift_event_queue_depth 0
`;

describe('drift live bench parsing', () => {
  it('builds what toCloudEvent makes of the event', () => {
    const event = irisEvent('e-1', 1_790_000_000_000, new Float32Array([5.1, 3.5, 1.4, 0.2]));
    expect(JSON.parse(JSON.stringify(cloudEventJson(event)))).toEqual(
      JSON.parse(JSON.stringify(toCloudEvent(event).toJSON())),
    );
  });

  it('reads samples by name and labels', () => {
    expect(
      metricSamples(METRICS, 'sightline_drift_windows_closed_total', { detector: 'iris-ks' }),
    ).toHaveLength(2);
    expect(metricSamples(METRICS, 'sightline_drift_event_queue_depth')).toEqual([{ labels: {}, value: 0 }]);
    expect(metricSamples(METRICS, 'sightline_drift_window_export_seconds')).toEqual([]);
  });

  it('computes histogram_quantile as Prometheus does', () => {
    const buckets = exportBuckets(METRICS, 'iris-ks');
    expect(buckets.le).toEqual([0.005, 0.01, 0.05, Number.POSITIVE_INFINITY]);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.005, 9);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.01 + 0.04 * 0.9, 9);
    expect(histogramQuantile(0.99, { le: [0.1, Number.POSITIVE_INFINITY], counts: [0, 4] })).toBe(0.1);
    expect(histogramQuantile(0.99, { le: [], counts: [] })).toBeUndefined();
  });

  it('takes nearest-rank quantiles', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(quantile([], 0.99)).toBeUndefined();
  });
});

const result = (accepted: number, scored: number): DriftLiveBenchResult => ({
  clients: 4,
  batchEvents: 500,
  durationMs: 10_000,
  acceptedEvents: accepted * 10,
  acceptedEventsPerSec: accepted,
  tooManyRequests: 2,
  otherFailures: 0,
  scoredEventsPerSec: scored,
  windowsClosed: 250,
  drainSeconds: 0.5,
  exportP99Ms: 4.5,
  scrapeLatencyP99Ms: 120,
  scrapeSamples: 80,
  directEventsPerSec: 200_000,
  directWindows: 200,
  ratio: scored / 200_000,
});

describe('drift live report', () => {
  it('checks the lower of the accepted and scored rates against 20,000 events/s', () => {
    expect(driftLiveChecks(result(30_000, 25_000))[0]!.verdict).toBe('PASS');
    expect(driftLiveChecks(result(30_000, 15_000))[0]!.verdict).toBe('FAIL');
    expect(driftLiveChecks(result(15_000, 30_000))[0]!.value).toBe(15_000);
  });

  it('prints rates, latencies and the ratio to the direct run', () => {
    const text = formatDriftLive(result(30_000, 25_000));
    expect(text).toContain('accepted 300000 events, 30000 events/s; 429/503 answers 2');
    expect(text).toContain('window close to export p99 (histogram) 4.5 ms; close to scrape p99 120.0 ms');
    expect(text).toContain('via POST /events / direct: 0.125x');
  });
});
