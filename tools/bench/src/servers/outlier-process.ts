/**
 * Starts the outlier service in its own process (servers/outlier-main.ts) on free loopback
 * ports, waits for /readyz, and gives a promise client of the OutlierService RPCs the
 * benchmarks call.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { outlierV1 } from '@sightline/contracts';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** How long the outlier service may take to report ready. */
export const OUTLIER_START_TIMEOUT_MS = 60_000;
/** Deadline of one unary call (a Fit included). */
export const OUTLIER_CALL_DEADLINE_MS = 120_000;

/** An outlier service running in its own process. */
export interface OutlierProcess {
  /** Its gRPC address, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly httpBase: string;
  readonly child: ManagedChild;
  readonly client: OutlierBenchClient;
}

/** Starts the service with `flags` (camelCase keys, as `runOutlier` takes them) besides the ports. */
export async function startOutlierProcess(
  group: ChildProcessGroup,
  flags: Readonly<Record<string, unknown>>,
): Promise<OutlierProcess> {
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'outlier-main.js');
  const child = group.spawn('outlier', process.execPath, [
    entry,
    JSON.stringify({ host: '127.0.0.1', grpcPort, httpPort, logLevel: 'warn', ...flags }),
  ]);
  const httpBase = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntilReady(
      child,
      async () => (await httpStatus(`${httpBase}/readyz`)) === 200,
      OUTLIER_START_TIMEOUT_MS,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  }
  const address = `127.0.0.1:${grpcPort}`;
  return { address, httpBase, child, client: outlierBenchClient(address) };
}

type Unary<Req, Res> = (request: outlierV1.DeepPartial<Req>) => Promise<Res>;

/** The RPCs the outlier benchmarks call, as promises. */
export interface OutlierBenchClient {
  createDetector: Unary<outlierV1.CreateDetectorRequest, outlierV1.CreateDetectorResponse>;
  fit: Unary<outlierV1.FitRequest, outlierV1.FitResponse>;
  attachDetector: Unary<outlierV1.AttachDetectorRequest, outlierV1.AttachDetectorResponse>;
  predict: Unary<outlierV1.PredictRequest, outlierV1.PredictResponse>;
  close(): void;
}

function outlierBenchClient(address: string): OutlierBenchClient {
  const raw = new outlierV1.OutlierServiceClient(address, credentials.createInsecure(), {
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
          { deadline: Date.now() + OUTLIER_CALL_DEADLINE_MS },
          (error: ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)),
        );
      });
  return {
    createDetector: call('createDetector', outlierV1.CreateDetectorRequest),
    fit: call('fit', outlierV1.FitRequest),
    attachDetector: call('attachDetector', outlierV1.AttachDetectorRequest),
    predict: call('predict', outlierV1.PredictRequest),
    close: () => raw.close(),
  };
}
