/**
 * Starts a Sightline service as its own process, the way operators do:
 * `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`, and learns
 * its bound ports from its "<service> serving" log line. The CLI's entry file is a parameter
 * (the kit must not depend on the CLI package); each suite binds it once in a small helper.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How long a child may take to load what it serves and say so, unless the caller says otherwise. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

/** What to start and how. */
export interface ChildServiceOptions {
  /** The CLI's entry file, run with this Node (e.g. `<repo>/tools/cli/bin/sightline.js`). */
  readonly cli: string;
  /** The child's working directory (the repository root, so relative example paths resolve). */
  readonly cwd: string;
  /** The service name after `serve`; also the "<service> serving" line waited for. */
  readonly service: string;
  /** Flags after the host and port flags. */
  readonly args?: readonly string[];
  /** Variables laid over this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** The gRPC port; 0 (the default) lets the system pick a free one. */
  readonly grpcPort?: number;
  /** How long to wait for the serving line before killing the child; default {@link DEFAULT_START_TIMEOUT_MS}. */
  readonly startTimeoutMs?: number;
}

/** A running child service. */
export interface ChildService {
  /** `127.0.0.1:<grpcPort>`. */
  readonly address: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Its process id (to SIGSTOP it, as a frozen host looks to its clients). */
  readonly pid: number;
  /** Every line it printed so far, stdout and stderr. */
  readonly logs: string[];
  /** The fields of the first JSON log line whose msg is `message`, if it has been printed. */
  logged(message: string): Record<string, unknown> | undefined;
  /**
   * Sends SIGCONT and SIGTERM (unless it already ended: a stopped process keeps SIGTERM
   * pending until it runs again) and waits until it has exited and closed its output.
   */
  stop(): Promise<void>;
}

/** Spawns the service and resolves once it logs that it is serving; rejects if it exits or times out first. */
export function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  const { cli, cwd, service, args = [], env = {}, grpcPort = 0 } = options;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      cli,
      'serve',
      service,
      '--host',
      '127.0.0.1',
      '--grpc-port',
      String(grpcPort),
      '--http-port',
      '0',
      ...args,
    ],
    { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
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
      reject(new Error(`${service} did not start within ${startTimeoutMs} ms:\n${logs.join('\n')}`));
    }, startTimeoutMs);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before serving:\n${logs.join('\n')}`));
    };
    child.once('exit', onEarlyExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (!line.includes(`"${service} serving"`)) return;
      const ports = JSON.parse(line) as { grpcPort: number; httpPort: number };
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      resolve({
        address: `127.0.0.1:${ports.grpcPort}`,
        grpcPort: ports.grpcPort,
        httpPort: ports.httpPort,
        pid: child.pid!,
        logs,
        logged,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGCONT');
            child.kill('SIGTERM');
          }
          await closed;
        },
      });
    });
  });
}

/** {@link startChildService} with the CLI, working directory and base env bound: `(service, args, env)`. */
export type BoundChildServiceStarter = (
  service: string,
  args?: readonly string[],
  env?: NodeJS.ProcessEnv,
) => Promise<ChildService>;

/**
 * Binds the options every start in a suite shares (the CLI entry, the repository root, a base env),
 * so a suite's helper is one line instead of another copy of the wrapper.
 */
export function bindChildService(
  defaults: Pick<ChildServiceOptions, 'cli' | 'cwd' | 'env' | 'startTimeoutMs'>,
): BoundChildServiceStarter {
  return (service, args = [], env = {}) =>
    startChildService({ ...defaults, service, args, env: { ...defaults.env, ...env } });
}
