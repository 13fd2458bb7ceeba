/**
 * The real `sightline start` as a process group, every service on free loopback ports that a
 * `sightline.yaml` in `cwd` picks, for the tests of the whole stack (the lifecycle, the demo,
 * the README's walkthrough). The caller owns cleanup: it signals `-child.pid` and awaits
 * `exited`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CLI_MAIN, REPO_ROOT, type RunningService } from './services.js';

/** A loopback port free at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The processes whose parent is `ppid` (Linux: from /proc). */
export async function childPids(ppid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) end in ')': state, then the parent's pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === ppid) pids.push(Number(entry));
  }
  return pids;
}

/** This process's environment without SIGHTLINE_* and OTEL_* (a developer's own settings). */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SIGHTLINE_') && !key.startsWith('OTEL_')),
  );
}

/** The environment that sends a stack's traces to `store`'s OTLP/HTTP receiver, exported quickly. */
export function tracesTo(store: RunningService): NodeJS.ProcessEnv {
  const listening = store.logs.find((line) => line.includes('"OTLP/HTTP receiver listening"'));
  const { otlpPort } = JSON.parse(listening ?? '{}') as { otlpPort: number };
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

/** A started `sightline start`. */
export interface ConfiguredStack {
  readonly ports: Readonly<Record<string, { readonly grpc: number; readonly http: number }>>;
  readonly child: ChildProcess;
  /** Its exit code. */
  readonly exited: Promise<number | null>;
  /** Resolves once the ready banner is out; rejects, with the output, if it exits first. */
  readonly ready: Promise<void>;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** `127.0.0.1:<grpc port>` of `service`. */
  at(service: string): string;
}

/**
 * Writes `cwd/sightline.yaml` (the repository's examples, data under `cwd/data`, every service
 * in `services` on its own free ports at log level warn) and spawns `sightline start` there,
 * detached (its own process group), with {@link cleanEnv} plus `env`.
 */
export async function spawnConfiguredStack(options: {
  readonly cwd: string;
  readonly services: readonly string[];
  readonly readyTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<ConfiguredStack> {
  const ports: Record<string, { grpc: number; http: number }> = {};
  for (const name of options.services) ports[name] = { grpc: await freePort(), http: await freePort() };
  const sections = options.services.map(
    (name) =>
      `${name}:\n  host: 127.0.0.1\n  grpc-port: ${ports[name]!.grpc}\n  http-port: ${ports[name]!.http}\n  log-level: warn\n`,
  );
  const timeout =
    options.readyTimeoutMs === undefined ? '' : `  ready-timeout-ms: ${options.readyTimeoutMs}\n`;
  await writeFile(
    path.join(options.cwd, 'sightline.yaml'),
    `stack:\n  examples: ${path.join(REPO_ROOT, 'examples')}\n  data: data\n${timeout}${sections.join('')}`,
  );
  const child = spawn(process.execPath, [CLI_MAIN, 'start'], {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...cleanEnv(), ...options.env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Ctrl-C stops the stack/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`sightline start exited ${code}:\n${output}`)));
  });
  // A rejection after the test awaited `ready` is not an unhandled one.
  ready.catch(() => {});
  return {
    ports,
    child,
    exited,
    ready,
    output: () => output,
    at: (service) => `127.0.0.1:${ports[service]!.grpc}`,
  };
}
