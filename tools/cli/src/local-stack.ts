/**
 * `sightline start`: the local stack, one child process per service (each deployable
 * alone, so each runs alone here too), their log lines prefixed with the service name.
 * Once every service answers /readyz it says so (see local-stack-readiness.ts).
 * SIGINT/SIGTERM stops them all and waits for each to drain, printing one line per service.
 *
 * Each child runs in its own process group, so a terminal's Ctrl-C (SIGINT to the whole
 * foreground group) reaches only this process, which sends each child one SIGTERM. A
 * child in the terminal's group would get the SIGINT too, then the forwarded SIGTERM as a
 * second signal, and exit at once instead of draining.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { type ReadinessTarget, waitUntilReady } from './local-stack-readiness.js';
import { planLocalStackTracing } from './local-stack-tracing.js';

/** How long a child may take to drain after SIGTERM before it is killed, in ms. */
export const CHILD_STOP_TIMEOUT_MS = 35_000;
/** Log levels below `warn` (by pino's name or number): not shown while stopping. */
const QUIET_LEVELS: ReadonlySet<unknown> = new Set(['trace', 'debug', 'info', 10, 20, 30]);

/** One service as the stack runs it. */
export interface StackMember {
  readonly name: string;
  /** Arguments after `serve <name>`. */
  readonly args: readonly string[];
  /** Set for the trace store: started first, only when the user set no trace destination. */
  readonly traceSink?: { readonly otlpPort: number };
  /** Its GET /readyz, probed before the stack says it is ready. */
  readonly readyUrl?: string;
  /**
   * When it is stopped: every member of wave 0 (the default) first, each later wave once the
   * earlier ones have exited, so a service is not stopped under those that call it (the
   * router would log its model-server gone) and the trace store receives the last spans.
   */
  readonly stopWave?: number;
  /** Variables set in its environment on top of the stack's. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Whether to show a child's line: while stopping, each service's own shutdown lines
 * ("shutting down", "stopped", models retired) give way to the one line the stack prints
 * per service; warnings and errors, and lines that are not JSON logs, still show.
 */
function shownWhileStopping(line: string): boolean {
  if (!line.startsWith('{')) return true;
  try {
    return !QUIET_LEVELS.has((JSON.parse(line) as { level?: unknown }).level);
  } catch {
    return true;
  }
}

function prefixLines(child: ChildProcess, name: string, stopping: () => boolean): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      if (!stopping() || shownWhileStopping(line)) process.stdout.write(`[${name}] ${line}\n`);
    });
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

/** The line printed when a child has exited during the stop. */
function stoppedLine(name: string, code: number | null, signal: NodeJS.Signals | null): string {
  if (code === 0) return `[${name}] stopped\n`;
  return `[${name}] stopped (${signal ? `killed by ${signal}` : `exit code ${code}`})\n`;
}

/** How the wait for readiness ended. */
export interface ReadyReport {
  readonly elapsedMs: number;
  /** The members started (the trace store is not when the user chose a trace destination). */
  readonly started: readonly string[];
  /** Those that did not answer /readyz in time (empty when all did). */
  readonly notReady: readonly string[];
}

/**
 * Starts every service as a child process and resolves when all have exited. A trace sink
 * (the trace store) starts first, and only when the environment names no trace
 * destination; the others then export their spans to it (see local-stack-tracing.ts).
 */
export async function startLocalStack(options: {
  readonly cliEntry: string;
  readonly members: readonly StackMember[];
  /** The user's environment (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Longest wait for every member's /readyz, in ms. */
  readonly readyTimeoutMs?: number;
  /**
   * Called once every member answered /readyz (`notReady` empty) or the wait timed out;
   * awaited (a stop asked for meanwhile still stops the stack).
   */
  readonly onReady?: (report: ReadyReport) => void | Promise<void>;
}): Promise<number> {
  const startedAt = Date.now();
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  // A child that exited on its own (a port taken, a crash): the stack stops and exits 1.
  let failed = false;
  const exits: Promise<number>[] = [];
  const exitOf = new Map<string, Promise<number>>();
  const waveOf = new Map(options.members.map((member) => [member.name, member.stopWave ?? 0]));
  const env = options.env ?? process.env;
  const tracing = planLocalStackTracing(env);
  const sinks = options.members.filter((member) => member.traceSink !== undefined);
  if (sinks.length > 0) process.stdout.write(`${tracing.summary}\n`);
  const started = tracing.startTraceStore ? sinks : [];
  const ordered = [...started, ...options.members.filter((member) => member.traceSink === undefined)];
  // Before any child starts: a Ctrl-C while the trace store comes up still stops it in order.
  // `on`, not `once`: a second Ctrl-C (or npm passing the signal on) must not kill this
  // process by default and leave the draining children without their parent.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Outside the terminal's group, children would outlive a parent that dies without stop().
  const killAll = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const member of ordered) {
    if (stopping) break;
    const child = spawn(process.execPath, [options.cliEntry, 'serve', member.name, ...member.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The trace sink gets the user's environment: it records no spans of its own.
      env: { ...(member.traceSink ? env : tracing.childEnv), ...member.env },
      detached: true,
    });
    children.set(member.name, child);
    prefixLines(child, member.name, () => stopping);
    const exit = new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => {
        children.delete(member.name);
        if (stopping) process.stdout.write(stoppedLine(member.name, code, signal));
        else {
          process.stderr.write(`[${member.name}] exited (${signal ?? code}); stopping the stack\n`);
          failed = true;
          stop();
        }
        resolve(code ?? (signal ? 1 : 0));
      });
    });
    exits.push(exit);
    exitOf.set(member.name, exit);
    if (member.traceSink) {
      const listening = await waitForPort('127.0.0.1', member.traceSink.otlpPort, () => stopping);
      if (!listening && !stopping) {
        process.stderr.write(
          `[${member.name}] OTLP port ${member.traceSink.otlpPort} not open after ${TRACE_STORE_START_TIMEOUT_MS} ms; starting the others anyway\n`,
        );
      }
    }
  }
  const targets: ReadinessTarget[] = ordered
    .filter((member) => member.readyUrl !== undefined && children.has(member.name))
    .map((member) => ({ name: member.name, url: member.readyUrl ?? '' }));
  if (options.onReady && !stopping) {
    const notReady = await waitUntilReady(targets, {
      timeoutMs: options.readyTimeoutMs ?? Number.POSITIVE_INFINITY,
      gaveUp: () => stopping,
    });
    const startedNames = ordered.map((member) => member.name).filter((name) => children.has(name));
    if (!stopping) {
      try {
        await options.onReady({ elapsedMs: Date.now() - startedAt, started: startedNames, notReady });
      } catch (error) {
        process.stderr.write(`sightline start: ${(error as Error).message}\n`);
      }
    }
  }
  function stop(): void {
    if (stopping) return;
    stopping = true;
    void stopInWaves();
  }
  async function stopInWaves(): Promise<void> {
    const waves = [...new Set(waveOf.values())].sort((a, b) => a - b);
    for (const wave of waves) {
      const names = [...children.keys()].filter((name) => waveOf.get(name) === wave);
      for (const name of names) {
        const child = children.get(name);
        child?.kill('SIGTERM');
        setTimeout(() => child?.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS).unref();
      }
      await Promise.all(names.map((name) => exitOf.get(name)));
    }
  }
  const codes = await Promise.all(exits);
  process.off('exit', killAll);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  // A stop asked for (Ctrl-C) is a clean end even when a child was killed draining.
  return failed || (codes.some((code) => code !== 0) && !stopping) ? 1 : 0;
}
