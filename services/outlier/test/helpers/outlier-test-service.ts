/**
 * An outlier service started in the test's process on loopback ephemeral ports, with a
 * typed promise client for every OutlierService RPC and the HTTP side port's base URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { outlierV1 } from '@sightline/contracts';
import type { KindCatalogue, OutlierScores } from '@sightline/detect';
import { seededUniform } from '@sightline/detect/testing';
import type { EventReader, EventSource } from '@sightline/events';
import { type Logger, loadConfig } from '@sightline/service-kit';
import {
  collectStream,
  silentLogger,
  TEST_CALL_DEADLINE_MS,
  unaryCaller,
} from '@sightline/service-kit/testing';
import { createTensor, encodeTensorMessages, type Tensor } from '@sightline/tensor';
import { outlierConfigSchema } from '../../src/config.js';
import { type OutlierHandle, startOutlier } from '../../src/outlier.js';

type Unary<Req, Res> = (request: outlierV1.DeepPartial<Req>) => Promise<Res>;

/** The OutlierService client with promise calls. */
export interface OutlierClient {
  readonly raw: outlierV1.OutlierServiceClient;
  createDetector: Unary<outlierV1.CreateDetectorRequest, outlierV1.CreateDetectorResponse>;
  fit: Unary<outlierV1.FitRequest, outlierV1.FitResponse>;
  inferThreshold: Unary<outlierV1.InferThresholdRequest, outlierV1.InferThresholdResponse>;
  score: Unary<outlierV1.ScoreRequest, outlierV1.ScoreResponse>;
  predict: Unary<outlierV1.PredictRequest, outlierV1.PredictResponse>;
  attachDetector: Unary<outlierV1.AttachDetectorRequest, outlierV1.AttachDetectorResponse>;
  detachDetector: Unary<outlierV1.DetachDetectorRequest, outlierV1.DetachDetectorResponse>;
  listOutlierEvents: Unary<outlierV1.ListOutlierEventsRequest, outlierV1.ListOutlierEventsResponse>;
  getDetector: Unary<outlierV1.GetDetectorRequest, outlierV1.GetDetectorResponse>;
  listDetectors: Unary<outlierV1.ListDetectorsRequest, outlierV1.ListDetectorsResponse>;
  deleteDetector: Unary<outlierV1.DeleteDetectorRequest, outlierV1.DeleteDetectorResponse>;
  fitWithProgress(
    request: outlierV1.DeepPartial<outlierV1.FitWithProgressRequest>,
  ): Promise<outlierV1.FitWithProgressResponse[]>;
  /** ScoreHistory's messages; with `deadlineMs`, the messages before the error are on the error's `received`. */
  scoreHistory(
    request: outlierV1.DeepPartial<outlierV1.ScoreHistoryRequest>,
    deadlineMs?: number,
  ): Promise<outlierV1.ScoreHistoryResponse[]>;
  close(): void;
}

/** A client of the OutlierService at `address`. */
export function outlierClient(address: string): OutlierClient {
  const raw = new outlierV1.OutlierServiceClient(address, credentials.createInsecure());
  const call = unaryCaller(raw);
  return {
    raw,
    createDetector: call('createDetector', outlierV1.CreateDetectorRequest),
    fit: call('fit', outlierV1.FitRequest),
    inferThreshold: call('inferThreshold', outlierV1.InferThresholdRequest),
    score: call('score', outlierV1.ScoreRequest),
    predict: call('predict', outlierV1.PredictRequest),
    attachDetector: call('attachDetector', outlierV1.AttachDetectorRequest),
    detachDetector: call('detachDetector', outlierV1.DetachDetectorRequest),
    listOutlierEvents: call('listOutlierEvents', outlierV1.ListOutlierEventsRequest),
    getDetector: call('getDetector', outlierV1.GetDetectorRequest),
    listDetectors: call('listDetectors', outlierV1.ListDetectorsRequest),
    deleteDetector: call('deleteDetector', outlierV1.DeleteDetectorRequest),
    fitWithProgress: (request) =>
      collectStream(
        raw.fitWithProgress(outlierV1.FitWithProgressRequest.fromPartial(request), new Metadata(), {
          deadline: Date.now() + TEST_CALL_DEADLINE_MS,
        }),
      ),
    scoreHistory: (request, deadlineMs = TEST_CALL_DEADLINE_MS) =>
      collectStream(
        raw.scoreHistory(outlierV1.ScoreHistoryRequest.fromPartial(request), new Metadata(), {
          deadline: Date.now() + deadlineMs,
        }),
      ),
    close: () => raw.close(),
  };
}

/** A started test service. */
export interface TestOutlier {
  readonly service: OutlierHandle;
  readonly client: OutlierClient;
  readonly httpBase: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Options of {@link startTestOutlier}. */
export interface TestOutlierOptions {
  /** Reuse a data directory (restart tests); default a fresh temp one, removed at stop. */
  readonly dataDir?: string;
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly eventSource?: EventSource;
  readonly eventReader?: EventReader;
  readonly kinds?: KindCatalogue<OutlierScores>;
  readonly logger?: Logger;
}

/** Starts an outlier service for a test. */
export async function startTestOutlier(options: TestOutlierOptions = {}): Promise<TestOutlier> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'sightline-outlier-')));
  const config = loadConfig(outlierConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      shutdownGraceMs: 2000,
      dataDir,
      eventsDir: path.join(dataDir, 'no-events'),
      ...options.flags,
    },
    env: {},
  });
  const service = await startOutlier(config, {
    logger: options.logger ?? silentLogger(),
    ...(options.eventSource ? { eventSource: options.eventSource } : {}),
    ...(options.eventReader ? { eventReader: options.eventReader } : {}),
    ...(options.kinds ? { kinds: options.kinds } : {}),
  });
  const client = outlierClient(service.grpcAddress);
  return {
    service,
    client,
    httpBase: `http://127.0.0.1:${service.httpPort}`,
    dataDir,
    stop: async () => {
      client.close();
      await service.shutdown('test over');
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A deterministic stream of numbers in [0, 1) (libs/detect's Mulberry32). */
export const seeded = seededUniform;

/** `rows` rows of 4 features around iris's means (a Gaussian-ish cloud), moved by `shift`. */
export function irisRows(rows: number, seed: number, shift = 0): Float32Array {
  const random = seeded(seed);
  const means = [5.8, 3.0, 3.8, 1.2];
  const data = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 4; c++) {
      const noise = (random() + random() + random() - 1.5) * 0.6;
      data[r * 4 + c] = means[c]! + noise + shift;
    }
  }
  return data;
}

/** An `input` tensor of iris-like rows. */
export function irisTensor(rows: number, seed: number, shift = 0): Tensor {
  return createTensor('input', 'FP32', [rows, 4], irisRows(rows, seed, shift));
}

/** Tensor messages for a request's `data`. */
export function tensorMessages(...tensors: Tensor[]) {
  return encodeTensorMessages(tensors, 'raw');
}
