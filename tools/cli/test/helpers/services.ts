/**
 * Starts a real Sightline service for the CLI's tests: `sightline serve <service>` as a
 * child process on 127.0.0.1 with ephemeral ports, its ports read from its "<service>
 * serving" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The built CLI, as a user runs it. */
export const CLI_MAIN = path.join(REPO_ROOT, 'tools/cli/dist/main.js');
const START_TIMEOUT_MS = 60_000;

/** A running service. */
export interface RunningService {
  readonly address: string;
  /** Its process id (to SIGSTOP it, as a frozen host looks to its clients). */
  readonly pid: number;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Spawns `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`. */
export function startService(
  service: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningService> {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI_MAIN, 'serve', service, '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
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
        pid: child.pid!,
        logs,
        stop: async () => {
          if (child.exitCode === null) {
            // A stopped process keeps SIGTERM pending until it runs again.
            child.kill('SIGCONT');
            child.kill('SIGTERM');
          }
          await exited;
        },
      });
    });
  });
}
