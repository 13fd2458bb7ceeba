/**
 * Ctrl-C during a call: the CLI cancels the call, prints nothing and exits 130. The server
 * here never answers, and the signal is sent once the call has reached it, so nothing
 * depends on timing.
 */
import { spawn } from 'node:child_process';
import { Server, ServerCredentials, type ServerUnaryCall } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_MAIN, REPO_ROOT } from './helpers/services.js';

let server: Server;
let address: string;
let reached: () => void;
const callReached = new Promise<void>((resolve) => {
  reached = resolve;
});
let cancelledByClient = false;

beforeAll(async () => {
  server = new Server();
  server.addService(inference.GRPCInferenceServiceService, {
    // Never answers; notes that the client gave up.
    repositoryIndex: (call: ServerUnaryCall<unknown, unknown>) => {
      call.on('cancelled', () => {
        cancelledByClient = true;
      });
      reached();
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => server?.forceShutdown());

it('cancels the call on Ctrl-C and exits 130 without a word', async () => {
  const child = spawn(
    process.execPath,
    [CLI_MAIN, 'models', 'list', '--address', address, '--timeout', '5m'],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await callReached;
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toBe('');
  await expect.poll(() => cancelledByClient).toBe(true);
});
