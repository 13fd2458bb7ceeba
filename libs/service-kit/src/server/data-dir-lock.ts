/**
 * The exclusive lock of a service's `--data-dir`: one service per directory (two would
 * serve different versions, and one's delete would remove files the other serves). The lock is a
 * file holding the owner's pid, created with O_EXCL; a lock whose pid is no longer alive is
 * stale and taken over (logged); a live one refuses the start.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
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
    // Two tries: the second after a stale lock is removed (another taker may win it).
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx');
        try {
          await handle.writeFile(`${process.pid}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const text = await readFile(file, 'utf8').catch(() => '');
      const pid = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new Error(
          `${flag} ${directory} is in use by another ${service} service (pid ${pid}, lock file ${file}); stop it or use another directory`,
        );
      }
      logger.warn(
        { file, pid: Number.isInteger(pid) ? pid : text.trim() },
        `${flag} ${directory}: stale lock of a process no longer running (${text.trim() || 'no pid'}) taken over`,
      );
      await unlink(file).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
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
