/**
 * runSightline as the CLI's tests use it, many runs in one process: each run answers on the
 * streams it is given with its exit code as a number, and leaves nothing of itself in the
 * process (no SIGINT listener, no open connection to the service it called).
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_VERSION } from './program.js';
import { runSightline } from './run-sightline.js';

/** A stream that keeps what is written to it; `columns` makes it look like a terminal that wide. */
function captured(columns?: number): Writable & { text(): string; isTTY?: boolean; columns?: number } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return Object.assign(stream, { text: () => text }, columns === undefined ? {} : { isTTY: true, columns });
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}, columns?: number) {
  const stdout = captured(columns);
  const stderr = captured(columns);
  const code = await runSightline(args, { env, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A model-server on 127.0.0.1 that answers RepositoryIndex with one model. */
async function startModelIndexServer(): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.addService(inference.GRPCInferenceServiceService, {
    repositoryIndex: (_call: ServerUnaryCall<unknown, unknown>, answer: sendUnaryData<unknown>) =>
      answer(null, { models: [{ name: 'iris', version: '1', state: 'READY', reason: '' }] }),
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, address: `127.0.0.1:${port}` };
}

let server: Server;
let address: string;
const port = (hostPort: string) => Number(hostPort.split(':')[1]);

beforeAll(async () => {
  ({ server, address } = await startModelIndexServer());
});

afterAll(() => server?.forceShutdown());

describe('runSightline', () => {
  it('prints the version and resolves 0', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${CLI_VERSION}\n`, stderr: '' });
  });

  it('resolves 2 with one sentence for a usage mistake, and 1 for a service that is not there', async () => {
    const usage = await run(['models', 'list', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^sightline: unknown option '--bogus'/);
    const unreachable = await run(['models', 'list', '--address', '127.0.0.1:1', '--timeout', '2s']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^sightline: (UNAVAILABLE|DEADLINE_EXCEEDED): /);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads the environment it is given, not the process', async () => {
    const run1 = await run(['models', 'list', '--json'], { SIGHTLINE_MODEL_SERVER_ADDRESS: address });
    expect(run1.code).toBe(0);
    expect(JSON.parse(run1.stdout).models).toEqual([
      { name: 'iris', version: '1', state: 'READY', reason: '' },
    ]);
    const badTimeout = await run(['models', 'list'], {
      SIGHTLINE_MODEL_SERVER_ADDRESS: address,
      SIGHTLINE_TIMEOUT: 'soon',
    });
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/^sightline: SIGHTLINE_TIMEOUT: expected a duration/);
  });

  it("wraps help at its stdout's width, not the process's", async () => {
    const widest = async (columns: number) => {
      const help = await run(['models', '--help'], {}, columns);
      expect(help.code).toBe(0);
      return Math.max(...help.stdout.split('\n').map((line) => line.length));
    };
    // `stats`'s description is wrapped at 80 columns, and fits on one line at 160.
    expect(await widest(80)).toBeLessThanOrEqual(80);
    expect(await widest(160)).toBeGreaterThan(80);
  });

  it('leaves no SIGINT listener and no connection behind', async () => {
    // The runs reach the server through a TCP relay that counts the connections open.
    let open = 0;
    const sockets = new Set<Socket>();
    const relay = createServer((socket) => {
      open++;
      sockets.add(socket);
      const upstream = connect(port(address), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.once('close', () => {
        open--;
        end();
      });
      socket.on('error', end);
      upstream.on('error', end).once('close', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const relayed = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
      const listeners = process.listenerCount('SIGINT');
      for (let i = 0; i < 3; i++) {
        const listed = await run(['models', 'list'], { SIGHTLINE_MODEL_SERVER_ADDRESS: relayed });
        expect(listed.code).toBe(0);
        expect(listed.stdout).toMatch(/│ iris +│ 1 +│ READY +│/);
      }
      expect(process.listenerCount('SIGINT')).toBe(listeners);
      // A client left open keeps its connection for grpc-js's idle timeout (30 min).
      await expect.poll(() => open, { timeout: 10_000 }).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});
