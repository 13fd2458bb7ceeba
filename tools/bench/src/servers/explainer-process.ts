/**
 * Starts the explainer in its own process (servers/explainer-main.ts) on free loopback ports,
 * waits for /readyz, and gives a promise Explain.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** How long the explainer may take to report ready. */
export const EXPLAINER_START_TIMEOUT_MS = 60_000;
/** Deadline of one Explain. */
export const EXPLAINER_CALL_DEADLINE_MS = 120_000;

/** An explainer running in its own process. */
export interface ExplainerProcess {
  readonly address: string;
  readonly child: ManagedChild;
  explain(request: explainerV1.DeepPartial<explainerV1.ExplainRequest>): Promise<explainerV1.ExplainResponse>;
  close(): void;
}

/** Starts the explainer with `flags` (camelCase keys, as `runExplainer` takes them) besides the ports. */
export async function startExplainerProcess(
  group: ChildProcessGroup,
  flags: Readonly<Record<string, unknown>>,
): Promise<ExplainerProcess> {
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'explainer-main.js');
  const child = group.spawn('explainer', process.execPath, [
    entry,
    JSON.stringify({ host: '127.0.0.1', grpcPort, httpPort, logLevel: 'warn', ...flags }),
  ]);
  try {
    await waitUntilReady(
      child,
      async () => (await httpStatus(`http://127.0.0.1:${httpPort}/readyz`)) === 200,
      EXPLAINER_START_TIMEOUT_MS,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  }
  const address = `127.0.0.1:${grpcPort}`;
  const raw = new explainerV1.ExplainerServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  return {
    address,
    child,
    explain: (request) =>
      new Promise((resolve, reject) => {
        raw.explain(
          explainerV1.ExplainRequest.fromPartial(request),
          new Metadata(),
          { deadline: Date.now() + EXPLAINER_CALL_DEADLINE_MS },
          (error: ServiceError | null, response: explainerV1.ExplainResponse) =>
            error ? reject(error) : resolve(response),
        );
      }),
    close: () => raw.close(),
  };
}
