/**
 * Starts a Sightline service as a child process through the CLI on ephemeral ports and
 * reads the bound ports from its log lines (as services/router's tests do).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = path.join(REPO_ROOT, 'tools/cli/bin/sightline.js');
const START_TIMEOUT_MS = 60_000;

/** A running child service. */
export interface ChildService {
  readonly address: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly logs: string[];
  /** The fields of the first JSON log line whose msg is `message`. */
  logged(message: string): Record<string, unknown> | undefined;
  stop(): Promise<void>;
}

/** Spawns `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`. */
export function startChildService(
  service: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildService> {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', service, '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const logged = (message: string) => {
    for (const line of logs) {
      if (!line.includes(JSON.stringify(message))) continue;
      const fields = JSON.parse(line) as Record<string, unknown>;
      if (fields.msg === message) return fields;
    }
    return undefined;
  };
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
      const { grpcPort, httpPort } = JSON.parse(line) as { grpcPort: number; httpPort: number };
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      resolve({
        address: `127.0.0.1:${grpcPort}`,
        grpcPort,
        httpPort,
        logs,
        logged,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
