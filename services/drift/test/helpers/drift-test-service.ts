/**
 * A drift service started in the test's process on loopback ephemeral ports, with a typed
 * promise client for every DriftService RPC and the HTTP side port's base URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import { type DriftKernels, STATS_KERNELS } from '@sightline/detect';
import { referenceKernels, seededUniform } from '@sightline/detect/testing';
import type { EventReader, EventSource } from '@sightline/events';
import { type Logger, loadConfig } from '@sightline/service-kit';
import {
  collectStream,
  silentLogger,
  TEST_CALL_DEADLINE_MS,
  unaryCaller,
} from '@sightline/service-kit/testing';
import { createTensor, encodeTensorMessages, type Tensor } from '@sightline/tensor';
import { driftConfigSchema } from '../../src/config.js';
import { type DriftHandle, startDrift } from '../../src/drift.js';
import { type KernelsModule, STATS_KERNELS_MODULE } from '../../src/scoring/scoring-protocol.js';

/** libs/detect's reference double, as the scoring threads import it. */
export const REFERENCE_KERNELS_MODULE: KernelsModule = {
  module: '@sightline/detect/testing',
  exportName: 'referenceKernels',
};

type Unary<Req, Res> = (request: Req) => Promise<Res>;

/** The DriftService client with promise calls. */
export interface DriftClient {
  readonly raw: driftV1.DriftServiceClient;
  createDetector: Unary<driftV1.DeepPartial<driftV1.CreateDetectorRequest>, driftV1.CreateDetectorResponse>;
  fit: Unary<driftV1.DeepPartial<driftV1.FitRequest>, driftV1.FitResponse>;
  score: Unary<driftV1.DeepPartial<driftV1.ScoreRequest>, driftV1.ScoreResponse>;
  predict: Unary<driftV1.DeepPartial<driftV1.PredictRequest>, driftV1.PredictResponse>;
  attachDetector: Unary<driftV1.DeepPartial<driftV1.AttachDetectorRequest>, driftV1.AttachDetectorResponse>;
  detachDetector: Unary<driftV1.DeepPartial<driftV1.DetachDetectorRequest>, driftV1.DetachDetectorResponse>;
  listDriftEvents: Unary<
    driftV1.DeepPartial<driftV1.ListDriftEventsRequest>,
    driftV1.ListDriftEventsResponse
  >;
  getDetector: Unary<driftV1.DeepPartial<driftV1.GetDetectorRequest>, driftV1.GetDetectorResponse>;
  listDetectors: Unary<driftV1.DeepPartial<driftV1.ListDetectorsRequest>, driftV1.ListDetectorsResponse>;
  deleteDetector: Unary<driftV1.DeepPartial<driftV1.DeleteDetectorRequest>, driftV1.DeleteDetectorResponse>;
  resetDetector: Unary<driftV1.DeepPartial<driftV1.ResetDetectorRequest>, driftV1.ResetDetectorResponse>;
  inferThreshold: Unary<driftV1.DeepPartial<driftV1.InferThresholdRequest>, driftV1.InferThresholdResponse>;
  mergeWindowShare: Unary<
    driftV1.DeepPartial<driftV1.MergeWindowShareRequest>,
    driftV1.MergeWindowShareResponse
  >;
  scoreHistory(
    request: driftV1.DeepPartial<driftV1.ScoreHistoryRequest>,
  ): Promise<driftV1.ScoreHistoryResponse[]>;
  close(): void;
}

/** A client of the DriftService at `address`. */
export function driftClient(address: string): DriftClient {
  const raw = new driftV1.DriftServiceClient(address, credentials.createInsecure());
  const call = unaryCaller(raw);
  return {
    raw,
    createDetector: call('createDetector', driftV1.CreateDetectorRequest),
    fit: call('fit', driftV1.FitRequest),
    score: call('score', driftV1.ScoreRequest),
    predict: call('predict', driftV1.PredictRequest),
    attachDetector: call('attachDetector', driftV1.AttachDetectorRequest),
    detachDetector: call('detachDetector', driftV1.DetachDetectorRequest),
    listDriftEvents: call('listDriftEvents', driftV1.ListDriftEventsRequest),
    getDetector: call('getDetector', driftV1.GetDetectorRequest),
    listDetectors: call('listDetectors', driftV1.ListDetectorsRequest),
    deleteDetector: call('deleteDetector', driftV1.DeleteDetectorRequest),
    resetDetector: call('resetDetector', driftV1.ResetDetectorRequest),
    inferThreshold: call('inferThreshold', driftV1.InferThresholdRequest),
    mergeWindowShare: call('mergeWindowShare', driftV1.MergeWindowShareRequest),
    scoreHistory: (request) =>
      collectStream(
        raw.scoreHistory(driftV1.ScoreHistoryRequest.fromPartial(request), new Metadata(), {
          deadline: Date.now() + TEST_CALL_DEADLINE_MS,
        }),
      ),
    close: () => raw.close(),
  };
}

/** A started test service. */
export interface TestDrift {
  readonly service: DriftHandle;
  readonly client: DriftClient;
  readonly httpBase: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Options of {@link startTestDrift}. */
export interface TestDriftOptions {
  /** Reuse a data directory (restart tests); default a fresh temp one, removed at stop. */
  readonly dataDir?: string;
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly eventSource?: EventSource;
  readonly eventReader?: EventReader;
  readonly now?: () => number;
  /** Default: libs/detect's reference double (these tests check the service, not the statistics). */
  readonly kernels?: DriftKernels;
  /** Default: a silent one. */
  readonly logger?: Logger;
  /**
   * Where the scoring threads import the kernels from; default the module of `kernels` when
   * it is the reference double or libs/stats' (else the service scores on its event loop).
   */
  readonly scoringKernels?: KernelsModule;
}

function scoringKernelsOf(options: TestDriftOptions): KernelsModule | undefined {
  if (options.scoringKernels) return options.scoringKernels;
  if (options.kernels === undefined || options.kernels === referenceKernels) return REFERENCE_KERNELS_MODULE;
  return options.kernels === STATS_KERNELS ? STATS_KERNELS_MODULE : undefined;
}

/** Starts a drift service for a test. */
export async function startTestDrift(options: TestDriftOptions = {}): Promise<TestDrift> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'sightline-drift-')));
  const config = loadConfig(driftConfigSchema, {
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
  const service = await startDrift(config, {
    logger: options.logger ?? silentLogger(),
    kernels: options.kernels ?? referenceKernels,
    ...(scoringKernelsOf(options) ? { scoringKernels: scoringKernelsOf(options)! } : {}),
    ...(options.eventSource ? { eventSource: options.eventSource } : {}),
    ...(options.eventReader ? { eventReader: options.eventReader } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const client = driftClient(service.grpcAddress);
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

/** `rows` iris-like rows of 4 features (uniform around iris's means), shifted by `shift`. */
export function irisRows(rows: number, seed: number, shift = 0): Float32Array {
  const random = seeded(seed);
  const means = [5.8, 3.0, 3.8, 1.2];
  const data = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < 4; c++) data[r * 4 + c] = means[c]! + random() - 0.5 + shift;
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

/** The iris columns as the examples name them. */
export const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
