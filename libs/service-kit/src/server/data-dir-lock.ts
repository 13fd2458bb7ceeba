/**
 * The exclusive lock of a service's `--data-dir`: one service per directory (two would
 * serve different versions, and one's delete would remove files the other serves). The lock is a
 * file holding the owner's pid, written whole under a private name and then hard-linked into
 * place (link fails when the name exists), so no taker ever reads a lock without its pid; a
 * lock whose pid is no longer alive is stale and taken over (logged); a live one refuses the
 * start. Only one taker at a time may remove a stale lock (the one that links `<lock>.takeover`),
 * so two services taking over one stale lock at once cannot both end up holding it. (A taker
 * killed mid-takeover leaves `.takeover` behind; the next removes it, and two starting in that
 * same moment are the one case left unguarded.)
 */
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';

/** The lock file's name in a data directory of service `service` (`drift.lock`). */
export function dataDirLockFile(service: string): string {
  return `${service}.lock`;
}

/** Who takes a lock: the service's name and the setting naming the directory. */
export interface DataDirLockOwner {
  /** The service's name (`drift`, `outlier`), in the lock file's name and the messages. */
  readonly service: string;
  /** The setting that named the directory (`--data-dir`). */
  readonly flag: string;
  readonly logger: Logger;
  /**
   * The lock file's path inside the directory (default `<service>.lock`); its parent
   * directories are created. A service whose directory's entries mean something (a model
   * cache, where any top-level name may be a model) keeps it in its own hidden directory.
   */
  readonly lockFile?: string;
}

/** The pid a lock file's text names, or undefined. */
function pidIn(text: string): number | undefined {
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether `from` was hard-linked as `to` (false: `to` exists). */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Whether process `pid` is alive (EPERM: alive, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock of a data directory. */
export class DataDirLock {
  private released = false;

  private constructor(readonly file: string) {}

  /**
   * Takes the lock of `directory` (created when missing).
   * @throws Error naming the directory and the pid when a live process holds it.
   */
  static async acquire(directory: string, owner: DataDirLockOwner): Promise<DataDirLock> {
    const { service, flag, logger } = owner;
    const file = path.join(directory, owner.lockFile ?? dataDirLockFile(service));
    await mkdir(path.dirname(file), { recursive: true });
    const inUse = (pid: number) =>
      new Error(
        `${flag} ${directory} is in use by another ${service} service (pid ${pid}, lock file ${file}); stop it or use another directory`,
      );
    // Written whole first: a taker that finds the lock always finds the pid in it.
    const mine = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(mine, `${process.pid}\n`, { flush: true });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await linked(mine, file)) return new DataDirLock(file);
        const text = await readFile(file, 'utf8').catch(() => undefined);
        if (text === undefined) continue; // released meanwhile: try again
        const pid = pidIn(text);
        if (pid !== undefined && alive(pid)) throw inUse(pid);
        // Stale. Only the taker holding `<lock>.takeover` removes it, and only if it is still
        // the stale lock read above: two takers cannot both remove one and then each hold one.
        const takeover = `${file}.takeover`;
        if (!(await linked(mine, takeover))) {
          const other = pidIn(await readFile(takeover, 'utf8').catch(() => ''));
          if (other !== undefined && alive(other)) throw inUse(other);
          // Left by a taker that died mid-takeover.
          await unlink(takeover).catch(ignoreMissing);
          continue;
        }
        try {
          if ((await readFile(file, 'utf8').catch(() => undefined)) === text) {
            logger.warn(
              { file, pid: pid ?? text.trim() },
              `${flag} ${directory}: stale lock of a process no longer running (${text.trim() || 'no pid'}) taken over`,
            );
            await unlink(file).catch(ignoreMissing);
          }
        } finally {
          await unlink(takeover).catch(ignoreMissing);
        }
      }
    } finally {
      await unlink(mine).catch(() => undefined);
    }
    throw new Error(
      `${flag} ${directory}: another ${service} service took the lock ${file} while this one started`,
    );
  }

  /** Removes the lock file (idempotent). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await unlink(this.file).catch(() => undefined);
  }
}
