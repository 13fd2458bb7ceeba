import { type ChildProcess, spawn } from 'node:child_process';

/** How long a child gets to exit after SIGTERM before it is killed. */
export const DEFAULT_STOP_GRACE_MS = 5_000;
/** Characters of a child's recent output kept to explain a failed start. */
export const OUTPUT_TAIL_CHARS = 8_192;

/** A child started by a {@link ChildProcessGroup}. */
export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The last {@link OUTPUT_TAIL_CHARS} characters of its stdout and stderr. */
  outputTail(): string;
  /** Resolves when it has exited (at once if it already has). */
  readonly exited: Promise<void>;
}

/**
 * Owns the server processes a benchmark starts and makes sure none outlives it: each
 * child leads its own process group (so anything it forks is signalled too), and
 * {@link installExitHandlers} kills them on normal exit, SIGINT, SIGTERM and uncaught
 * errors. Built once in main and passed to whoever starts processes.
 */
export class ChildProcessGroup {
  private readonly children = new Set<ManagedChild>();

  /** Starts `command args` with piped output (drained into a bounded tail). */
  spawn(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ManagedChild {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const managed: ManagedChild = { name, process: child, pid: child.pid, outputTail: () => tail, exited };
    this.children.add(managed);
    void exited.then(() => this.children.delete(managed));
    return managed;
  }

  /** SIGTERM to the child's process group, SIGKILL after `graceMs`. */
  async stop(child: ManagedChild, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    if (!this.children.has(child)) return;
    signalGroup(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const killed = await Promise.race([child.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (killed) {
      signalGroup(child.pid, 'SIGKILL');
      await child.exited;
    }
    // The leader may exit before a grandchild it forked; leave nothing in the group behind.
    signalGroup(child.pid, 'SIGKILL');
  }

  /** Stops every child still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stop(child)));
  }

  /** SIGKILLs every child at once; for `exit` handlers, which cannot wait. */
  killAllNow(): void {
    for (const child of this.children) signalGroup(child.pid, 'SIGKILL');
    this.children.clear();
  }

  /**
   * Kills every child when this process ends in any way it can observe; a signal or an
   * uncaught error also ends this process (exit code 130/143/1). Returns an uninstaller.
   */
  installExitHandlers(): () => void {
    const onExit = () => this.killAllNow();
    const onSignal = (signal: NodeJS.Signals) => {
      this.killAllNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    const onFatal = (error: unknown) => {
      this.killAllNow();
      console.error(error);
      process.exit(1);
    };
    process.on('exit', onExit);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
    return () => {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('uncaughtException', onFatal);
      process.off('unhandledRejection', onFatal);
    };
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is the goal.
  }
}
