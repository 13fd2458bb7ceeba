import { DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES } from '@sightline/events';
import { describeConfig, loadConfig } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENTS_MAX_BODY_BYTES,
  DEFAULT_MAX_PENDING_SCORES,
  DRIFT_PORTS,
  driftConfigSchema,
  MAX_SCORING_THREADS,
  scoringThreadsOf,
} from './config.js';

describe('drift settings', () => {
  it('defaults to the ports and data directory of DESIGN.md and the issue', () => {
    const config = loadConfig(driftConfigSchema, { flags: {}, env: {} });
    expect(config).toMatchObject({
      grpcPort: DRIFT_PORTS.grpcPort,
      httpPort: DRIFT_PORTS.httpPort,
      dataDir: '.data/drift',
      eventsDir: '.data/router/events',
      maxReferenceRows: 1_000_000,
      maxRequestIdsPerEvent: 1000,
    });
    expect(DRIFT_PORTS).toEqual({ grpcPort: 8003, httpPort: 9003 });
    expect(DEFAULT_EVENTS_MAX_BODY_BYTES).toBe(DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES);
  });

  it('documents every setting for --help and reads each from a SIGHTLINE_ variable', () => {
    for (const setting of describeConfig(driftConfigSchema)) {
      expect(setting.description, setting.flag).not.toBe('');
    }
    const config = loadConfig(driftConfigSchema, {
      flags: { maxWindowRows: '300' },
      env: {
        SIGHTLINE_EVENT_QUEUE_CAPACITY: '7',
        SIGHTLINE_CHECKPOINT_INTERVAL_MS: '500',
        SIGHTLINE_MAX_WINDOW_ROWS: '200',
        SIGHTLINE_DRIFT_EVENT_SINK_URL: 'http://broker.local/default',
      },
    });
    expect(config).toMatchObject({
      eventQueueCapacity: 7,
      checkpointIntervalMs: 500,
      maxWindowRows: 300,
      driftEventSinkUrl: 'http://broker.local/default',
    });
  });

  it('sizes the scoring threads to the cores less one (at least one) unless set; 0 is allowed', () => {
    const config = loadConfig(driftConfigSchema, { flags: {}, env: {} });
    expect(config.scoringThreads).toBeUndefined();
    expect(config.maxPendingScores).toBe(DEFAULT_MAX_PENDING_SCORES);
    expect([1, 2, 8].map((cores) => scoringThreadsOf(config.scoringThreads, cores))).toEqual([1, 1, 7]);
    const set = loadConfig(driftConfigSchema, {
      flags: {},
      env: { SIGHTLINE_SCORING_THREADS: '0', SIGHTLINE_MAX_PENDING_SCORES: '9' },
    });
    expect([scoringThreadsOf(set.scoringThreads, 8), set.maxPendingScores]).toEqual([0, 9]);
    expect(() => loadConfig(driftConfigSchema, { flags: { maxPendingScores: '0' }, env: {} })).toThrow(
      /max-pending-scores/,
    );
  });

  it('caps the scoring threads at MAX_SCORING_THREADS, set or defaulted, naming the flag and the maximum', () => {
    expect(scoringThreadsOf(undefined, 256)).toBe(MAX_SCORING_THREADS);
    expect(
      loadConfig(driftConfigSchema, { flags: { scoringThreads: String(MAX_SCORING_THREADS) }, env: {} }),
    ).toMatchObject({ scoringThreads: MAX_SCORING_THREADS });
    expect(() => loadConfig(driftConfigSchema, { flags: { scoringThreads: '100000' }, env: {} })).toThrow(
      new RegExp(`--scoring-threads may be at most ${MAX_SCORING_THREADS}`),
    );
  });

  it('refuses a limit that is not a positive integer, naming the flag', () => {
    expect(() => loadConfig(driftConfigSchema, { flags: { eventQueueCapacity: '0' }, env: {} })).toThrow(
      /event-queue-capacity/,
    );
  });
});
