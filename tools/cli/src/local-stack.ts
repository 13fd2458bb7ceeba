/**
 * `sightline start`: the local stack on embedded defaults, one child process per service
 * (each deployable alone, so each runs alone here too), their log lines prefixed with the
 * service name. SIGINT/SIGTERM stops them in order and waits for each to drain.
 *
 * Each child runs in its own process group, so a terminal's Ctrl-C (SIGINT to the whole
 * foreground group) reaches only this process, which sends each child one SIGTERM. A
 * child in the terminal's group would get the SIGINT too, then the forwarded SIGTERM as a
 * second signal, and exit at once instead of draining.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { planLocalStackTracing } from './local-stack-tracing.js';
import type { ServeableService } from './service-registry.js';

/** How long a child may take to drain after SIGTERM before it is killed, in ms. */
export const CHILD_STOP_TIMEOUT_MS = 35_000;

function prefixLines(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
}

/** How long the trace store may take to listen before the others start anyway, in ms. */
export const TRACE_STORE_START_TIMEOUT_MS = 30_000;
const PORT_PROBE_INTERVAL_MS = 100;

function portAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until `port` accepts connections, `gaveUp()` says stop, or the timeout passes. */
async function waitForPort(host: string, port: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + TRACE_STORE_START_TIMEOUT_MS;
  while (Date.now() < deadline && !gaveUp()) {
    if (await portAccepts(host, port)) return true;
    await new Promise((resolve) => setTimeout(resolve, PORT_PROBE_INTERVAL_MS));
  }
  return false;
}

/**
 * Starts every service as a child process and resolves when all have exited. A trace sink
 * (the trace store) starts first, and only when the environment names no trace
 * destination; the others then export their spans to it (see local-stack-tracing.ts).
 */
export async function startLocalStack(options: {
  readonly cliEntry: string;
  readonly services: readonly ServeableService[];
  readonly examples: string;
  readonly data: string;
  /** The user's environment (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}): Promise<number> {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const exits: Promise<number>[] = [];
  const env = options.env ?? process.env;
  const tracing = planLocalStackTracing(env);
  const sinks = options.services.filter((service) => service.traceSink !== undefined);
  if (sinks.length > 0) process.stdout.write(`${tracing.summary}\n`);
  const started = tracing.startTraceStore ? sinks : [];
  const ordered = [...started, ...options.services.filter((service) => service.traceSink === undefined)];
  // Before any child starts: a Ctrl-C while the trace store comes up still stops it in order.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Outside the terminal's group, children would outlive a parent that dies without stop().
  const killAll = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const service of ordered) {
    if (stopping) break;
    const args = [options.cliEntry, 'serve', service.name, ...service.localStackFlags(options)];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The trace sink gets the user's environment: it records no spans of its own.
      env: service.traceSink ? env : tracing.childEnv,
      detached: true,
    });
    children.set(service.name, child);
    prefixLines(child, service.name);
    exits.push(
      new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          children.delete(service.name);
          if (!stopping) {
            process.stderr.write(`[${service.name}] exited (${signal ?? code}); stopping the stack\n`);
            stop();
          }
          resolve(code ?? (signal ? 1 : 0));
        });
      }),
    );
    if (service.traceSink) {
      const listening = await waitForPort('127.0.0.1', service.traceSink.otlpPort, () => stopping);
      if (!listening && !stopping) {
        process.stderr.write(
          `[${service.name}] OTLP port ${service.traceSink.otlpPort} not open after ${TRACE_STORE_START_TIMEOUT_MS} ms; starting the others anyway\n`,
        );
      }
    }
  }
  function stop(): void {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS).unref();
    }
  }
  const codes = await Promise.all(exits);
  process.off('exit', killAll);
  return codes.some((code) => code !== 0) && !stopping ? 1 : 0;
}
