/**
 * Starts the drift service in its own process (servers/drift-main.ts) on free loopback
 * ports, waits for /readyz, and gives a promise client of the DriftService RPCs the
 * benchmarks call.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientReadableStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** How long the drift service may take to report ready. */
export const DRIFT_START_TIMEOUT_MS = 60_000;
/** Deadline of one unary call (a Fit of 10,000 rows included). */
export const DRIFT_CALL_DEADLINE_MS = 120_000;

/** A drift service running in its own process. */
export interface DriftProcess {
  readonly address: string;
  readonly httpBase: string;
  readonly child: ManagedChild;
  readonly client: DriftBenchClient;
}

/** Starts the service with `flags` (camelCase keys, as `runDrift` takes them) besides the ports. */
export async function startDriftProcess(
  group: ChildProcessGroup,
  flags: Readonly<Record<string, unknown>>,
): Promise<DriftProcess> {
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'drift-main.js');
  const child = group.spawn('drift', process.execPath, [
    entry,
    JSON.stringify({ host: '127.0.0.1', grpcPort, httpPort, logLevel: 'warn', ...flags }),
  ]);
  const httpBase = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntilReady(
      child,
      async () => (await httpStatus(`${httpBase}/readyz`)) === 200,
      DRIFT_START_TIMEOUT_MS,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  }
  const address = `127.0.0.1:${grpcPort}`;
  return { address, httpBase, child, client: driftBenchClient(address) };
}

type Unary<Req, Res> = (request: driftV1.DeepPartial<Req>) => Promise<Res>;

/** The RPCs the drift benchmarks call, as promises. */
export interface DriftBenchClient {
  createDetector: Unary<driftV1.CreateDetectorRequest, driftV1.CreateDetectorResponse>;
  fit: Unary<driftV1.FitRequest, driftV1.FitResponse>;
  attachDetector: Unary<driftV1.AttachDetectorRequest, driftV1.AttachDetectorResponse>;
  score: Unary<driftV1.ScoreRequest, driftV1.ScoreResponse>;
  /** Streams the history run; `onItem` sees every message as it arrives. */
  scoreHistory(
    request: driftV1.DeepPartial<driftV1.ScoreHistoryRequest>,
    onItem: (item: driftV1.ScoreHistoryResponse) => void,
    deadlineMs: number,
  ): Promise<void>;
  close(): void;
}

function driftBenchClient(address: string): DriftBenchClient {
  const raw = new driftV1.DriftServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const call =
    <Req, Res>(method: string, type: { fromPartial(o: unknown): Req }) =>
    (request: unknown): Promise<Res> =>
      new Promise((resolve, reject) => {
        const fn = (raw as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(raw);
        fn(
          type.fromPartial(request),
          new Metadata(),
          { deadline: Date.now() + DRIFT_CALL_DEADLINE_MS },
          (error: ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)),
        );
      });
  return {
    createDetector: call('createDetector', driftV1.CreateDetectorRequest),
    fit: call('fit', driftV1.FitRequest),
    attachDetector: call('attachDetector', driftV1.AttachDetectorRequest),
    score: call('score', driftV1.ScoreRequest),
    scoreHistory: (request, onItem, deadlineMs) =>
      new Promise((resolve, reject) => {
        const stream: ClientReadableStream<driftV1.ScoreHistoryResponse> = raw.scoreHistory(
          driftV1.ScoreHistoryRequest.fromPartial(request),
          new Metadata(),
          { deadline: Date.now() + deadlineMs },
        );
        stream.on('data', onItem);
        stream.on('error', reject);
        stream.on('end', () => resolve());
      }),
    close: () => raw.close(),
  };
}
