/**
 * A model-server started as its own process, the way operators start it:
 * `node tools/cli/bin/sightline.js serve model-server ...`. With port 0 the ports are
 * learnt from the "model-server serving" log line the server prints once it is ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, the child's working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../../../../tools/cli/bin/sightline.js', import.meta.url));
const CLI_BUILD = fileURLToPath(new URL('../../../../tools/cli/dist/main.js', import.meta.url));

/** How long a child may take to load its models and report it is serving. */
export const CHILD_START_TIMEOUT_MS = 30_000;

/** A started child server. */
export interface ChildServer {
  readonly process: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** `127.0.0.1:<grpcPort>`. */
  readonly address: string;
  /** Every JSON log line printed so far. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code (or the signal's name) once the process ended and its output is read. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `sightline serve model-server` with `args` after the fixed loopback/ephemeral-port flags. */
export function startChildServer(args: readonly string[]): Promise<ChildServer> {
  if (!existsSync(CLI_BUILD)) {
    throw new Error(
      `${CLI_BUILD} is missing: build the CLI first (npx nx run-many -t build), the child-process tests run it`,
    );
  }
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      'serve',
      'model-server',
      '--host',
      '127.0.0.1',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': it comes after stdout is drained, so `logs` holds the last lines.
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `model-server child did not report serving in ${CHILD_START_TIMEOUT_MS} ms; stderr: ${stderr}`,
        ),
      );
    }, CHILD_START_TIMEOUT_MS);
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not a log line (a native library's print)
        }
        logs.push(record);
        if (record.msg === 'model-server serving') {
          clearTimeout(timer);
          const grpcPort = Number(record.grpcPort);
          const httpPort = Number(record.httpPort);
          resolve({
            process: child,
            grpcPort,
            httpPort,
            address: `127.0.0.1:${grpcPort}`,
            logs,
            exited,
            stop(signal = 'SIGTERM') {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`model-server child exited (${code}) before serving; stderr: ${stderr}`));
    });
  });
}
