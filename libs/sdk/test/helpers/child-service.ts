/**
 * Starts a Sightline service as its own process through the CLI
 * (`sightline serve <service> --host 127.0.0.1 --grpc-port 0 ...`), the way operators do,
 * and learns its ports from its "<service> serving" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root, the children's working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = path.join(REPO_ROOT, 'tools/cli/bin/sightline.js');
const CLI_BUILD = path.join(REPO_ROOT, 'tools/cli/dist/main.js');
/** How long a child may take to load its models and say it is serving. */
const START_TIMEOUT_MS = 60_000;

/** A running child service. */
export interface ChildService {
  /** `127.0.0.1:<grpcPort>`. */
  readonly address: string;
  readonly grpcPort: number;
  /** Every line it printed so far. */
  readonly logs: string[];
  /** Sends SIGTERM (once) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `sightline serve <service>` on 127.0.0.1 with `grpcPort` (0: an ephemeral one),
 * an ephemeral HTTP port, and `args`.
 */
export function startChildService(
  service: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; grpcPort?: number } = {},
): Promise<ChildService> {
  if (!existsSync(CLI_BUILD)) {
    throw new Error(
      `${CLI_BUILD} is missing: build the CLI first (npx nx run-many -t build), these tests run it`,
    );
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      service,
      '--host',
      '127.0.0.1',
      '--grpc-port',
      String(options.grpcPort ?? 0),
      '--http-port',
      '0',
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not start within ${START_TIMEOUT_MS} ms:\n${logs.join('\n')}`));
    }, START_TIMEOUT_MS);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before serving:\n${logs.join('\n')}`));
    };
    child.once('exit', onEarlyExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (!line.includes(`"${service} serving"`)) return;
      const { grpcPort } = JSON.parse(line) as { grpcPort: number };
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      resolve({
        address: `127.0.0.1:${grpcPort}`,
        grpcPort,
        logs,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** A model-server on the examples/ models. */
export function startModelServer(
  extraArgs: readonly string[] = [],
  options: { grpcPort?: number } = {},
): Promise<ChildService> {
  return startChildService('model-server', ['--repository', 'examples/models', ...extraArgs], options);
}

/** A router on the examples/ graphs, pointed at `modelServer`, keeping its data in `dataDir`. */
export function startRouter(
  modelServer: string,
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<ChildService> {
  return startChildService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--default-model-server',
      modelServer,
      '--data-dir',
      dataDir,
      ...extraArgs,
    ],
    { env: { MODEL_SERVER_ADDRESS: modelServer } },
  );
}
