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
import { createInterface } from 'node:readline';
import type { ServeableService } from './service-registry.js';

/** How long a child may take to drain after SIGTERM before it is killed, in ms. */
export const CHILD_STOP_TIMEOUT_MS = 35_000;

function prefixLines(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
}

/** Starts every service as a child process and resolves when all have exited. */
export async function startLocalStack(options: {
  readonly cliEntry: string;
  readonly services: readonly ServeableService[];
  readonly examples: string;
  readonly data: string;
}): Promise<number> {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const exits: Promise<number>[] = [];
  for (const service of options.services) {
    const args = [options.cliEntry, 'serve', service.name, ...service.localStackFlags(options)];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
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
  }
  function stop(): void {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS).unref();
    }
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Outside the terminal's group, children would outlive a parent that dies without stop().
  const killAll = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const codes = await Promise.all(exits);
  process.off('exit', killAll);
  return codes.some((code) => code !== 0) && !stopping ? 1 : 0;
}
