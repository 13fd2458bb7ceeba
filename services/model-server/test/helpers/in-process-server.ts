/**
 * A model-server started in this process through its composition root, as `main.ts` starts
 * it, on 127.0.0.1 with ephemeral ports, and a client connected to it.
 */
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '../../src/index.js';
import { V2Client } from './v2-client.js';

/** A running in-process server with a connected client. */
export interface InProcessServer {
  readonly server: ModelServerHandle;
  readonly client: V2Client;
  /** `http://127.0.0.1:<httpPort>`, for /metrics, /healthz, /readyz. */
  readonly httpBase: string;
  /** Closes the client and shuts the server down in order. */
  stop(): Promise<void>;
}

/**
 * Starts a model-server on `repository`. `flags` are extra settings by camelCase key, as
 * the CLI passes them (`{ maxReceiveMessageBytes: '4096' }`).
 */
export async function startInProcessServer(
  repository: string,
  flags: Readonly<Record<string, string>> = {},
): Promise<InProcessServer> {
  const config = loadConfig(modelServerConfigSchema, {
    flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository, logLevel: 'silent', ...flags },
  });
  const server = await startModelServer(config, { logger: silentLogger() });
  const client = new V2Client(server.grpcAddress);
  return {
    server,
    client,
    httpBase: `http://127.0.0.1:${server.httpPort}`,
    async stop() {
      client.close();
      await server.shutdown('test over');
    },
  };
}
