/**
 * A spawned CLI whose stdout a test reads line by line, stops reading (so the pipe fills, as
 * with a stalled reader) and reads again, with every wait bounded: a line or an exit that
 * never comes fails the test naming what did not come, with the CLI's state and stderr.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { within } from './within.js';

/**
 * The longest wait for a line or an exit of a spawned CLI: one takes a second or two on a
 * loaded machine (an exit on a keepalive timeout 10 s); past this it is not coming.
 */
export const CLI_WAIT_MS = 30_000;

/** How a process ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** See {@link watchCli}. */
export interface WatchedCli {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Where it stands (running or how it exited, stderr), for failure messages. */
  status(): string;
  /** The next line of stdout; `what` names it in the failure when none comes. */
  nextLine(what: string): Promise<string>;
  /** The next line of stdout, or undefined once stdout ended. */
  lineOrEnd(what: string): Promise<string | undefined>;
  /** Reads no further for now: the pipe, then the CLI's stdout buffer, fill. */
  stopReading(): void;
  /** Reads again, from where it stopped; nothing written meanwhile is lost. */
  readAgain(): void;
  /** How it exited. */
  exited(): Promise<CliExit>;
  /** Kills it if a failed expectation left it running. */
  stop(): void;
}

/**
 * Watches `child` from its start. Its stdout has one line reader for the whole run: a reader
 * attached only later would miss everything if the CLI exited first, as Node drains an
 * exited child's unread pipes (and that reader would then wait forever for an end it missed).
 */
export function watchCli(child: ChildProcessByStdio<null, Readable, Readable>): WatchedCli {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<CliExit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const reader = createInterface({ input: child.stdout });
  const lines = reader[Symbol.asyncIterator]();
  const status = () => {
    const running = child.exitCode === null && child.signalCode === null;
    return `${running ? 'still running' : `exited ${child.exitCode ?? child.signalCode}`}; stderr: ${JSON.stringify(stderr)}`;
  };
  const lineOrEnd = async (what: string) => {
    const next = await within(lines.next(), CLI_WAIT_MS, what, status);
    return next.done ? undefined : next.value;
  };
  return {
    child,
    stderr: () => stderr,
    status,
    lineOrEnd,
    async nextLine(what) {
      const line = await lineOrEnd(what);
      if (line === undefined) throw new Error(`${what}: stdout ended first (${status()})`);
      return line;
    },
    stopReading: () => reader.pause(),
    readAgain: () => reader.resume(),
    exited: () => within(exit, CLI_WAIT_MS, 'the exit of the CLI', status),
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
