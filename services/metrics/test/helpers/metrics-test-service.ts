/**
 * A metrics service started in the test's process on loopback ephemeral ports (SQLite in a temp
 * directory unless a PostgreSQL URL is given), a promise client of its core RPCs, and iris
 * inference events with probability outputs to feed it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { type InferenceEvent, toCloudEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger, unaryCaller } from '@sightline/service-kit/testing';
import { metricsConfigSchema } from '../../src/config.js';
import { type MetricsHandle, type MetricsParts, startMetrics } from '../../src/metrics.js';

export const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'] as const;

type Unary<Req, Res> = (request: metricsV1.DeepPartial<Req>) => Promise<Res>;

export interface MetricsTestClient {
  sendFeedback: Unary<metricsV1.SendFeedbackRequest, metricsV1.SendFeedbackResponse>;
  getMetrics: Unary<metricsV1.GetMetricsRequest, metricsV1.GetMetricsResponse>;
  close(): void;
}

export function metricsClient(address: string): MetricsTestClient {
  const raw = new metricsV1.MetricsServiceClient(address, credentials.createInsecure());
  const call = unaryCaller(raw);
  return {
    sendFeedback: call('sendFeedback', metricsV1.SendFeedbackRequest),
    getMetrics: call('getMetrics', metricsV1.GetMetricsRequest),
    close: () => raw.close(),
  };
}

export interface MetricsTestService {
  readonly handle: MetricsHandle;
  readonly client: MetricsTestClient;
  readonly dataDir: string;
  readonly eventsUrl: string;
  /** POSTs events as a CloudEvents batch; answers the HTTP status. */
  post(events: readonly InferenceEvent[]): Promise<number>;
  /** Stops the service (the data directory stays until cleanup). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts a service; `flags` as `serve metrics` takes them (camelCase). */
export async function startMetricsTestService(
  flags: Record<string, unknown> = {},
  parts: Partial<MetricsParts> = {},
  dataDir?: string,
): Promise<MetricsTestService> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'sightline-metrics-service-')));
  const config = loadConfig(metricsConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      dataDir: dir,
      classes: `iris=${IRIS_CLASSES.join(',')}`,
      logLevel: 'silent',
      ...flags,
    },
    env: {},
  });
  const handle = await startMetrics(config, { logger: silentLogger(), ...parts });
  const client = metricsClient(`127.0.0.1:${handle.grpcPort}`);
  const eventsUrl = `http://127.0.0.1:${handle.httpPort}/events`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.close();
    await handle.stop();
  };
  return {
    handle,
    client,
    dataDir: dir,
    eventsUrl,
    async post(events) {
      const response = await fetch(eventsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(events.map((e) => toCloudEvent(e).toJSON())),
      });
      await response.arrayBuffer();
      return response.status;
    },
    stop,
    async cleanup() {
      await stop();
      if (dataDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Event `i` of the iris graph: one row whose probabilities put `top` first (0.7, the others
 * 0.15), predicted at `timeUnixMs`, with request parameters `parameters`.
 */
export function irisProbabilityEvent(
  i: number,
  top: number,
  options: {
    timeUnixMs?: number;
    parameters?: Record<string, string>;
    requestId?: string;
    eventId?: string;
  } = {},
): InferenceEvent {
  const probabilities = new Float32Array([0.15, 0.15, 0.15]);
  probabilities[top] = 0.7;
  return sampleEvent(i, {
    ...(options.requestId !== undefined && { requestId: options.requestId }),
    ...(options.eventId !== undefined && { eventId: options.eventId }),
    timeUnixMs: options.timeUnixMs ?? Date.now(),
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: probabilities }],
    requestParameters: { ...(options.parameters ?? {}) },
  });
}
