import { DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES } from '@sightline/events';
import { describeConfig, loadConfig } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS_MAX_BODY_BYTES, DRIFT_PORTS, driftConfigSchema } from './config.js';

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

  it('refuses a limit that is not a positive integer, naming the flag', () => {
    expect(() => loadConfig(driftConfigSchema, { flags: { eventQueueCapacity: '0' }, env: {} })).toThrow(
      /event-queue-capacity/,
    );
  });
});
