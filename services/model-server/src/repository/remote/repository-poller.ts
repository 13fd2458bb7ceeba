import type { Logger } from '../../model/logger.js';
import type { SyncResult } from './repository-mirror.js';

/** Default time between two polls of a remote repository, in ms (0 turns polling off). */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;

/** What the poller drives: a mirror that syncs, a manager that (re)loads and unloads. */
export interface PollerDeps {
  readonly sync: () => Promise<SyncResult>;
  /** Reloads a model whose files changed (without fetching again). */
  readonly reload: (name: string) => Promise<void>;
  /** Unloads a model gone from the repository (its in-flight requests finish first). */
  readonly unload: (name: string) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Polls a remote repository on an interval: each poll syncs the cache, then reloads the
 * models that changed (the version policy picks what serves; removed versions drain and
 * unload) and unloads the models that are gone. A poll that fails is logged and the next
 * one runs on time; what is loaded keeps serving. Polls never overlap: the next is timed
 * from the end of the last.
 */
export class RepositoryPoller {
  readonly #deps: PollerDeps;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: PollerDeps, intervalMs: number) {
    this.#deps = deps;
    this.#intervalMs = intervalMs;
  }

  /** Schedules the polls (none when the interval is 0). */
  start(): void {
    if (this.#intervalMs > 0 && !this.#stopped) this.#schedule();
  }

  /** Syncs and applies the changes once; never throws. */
  pollOnce(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops polling and waits for a poll under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.pollOnce().then(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const { logger } = this.#deps;
    let result: SyncResult;
    try {
      result = await this.#deps.sync();
    } catch (error) {
      logger.warn({ reason: messageOf(error) }, 'model repository poll failed; serving what is loaded');
      return;
    }
    for (const name of result.changed) {
      if (this.#stopped) return;
      try {
        await this.#deps.reload(name);
      } catch (error) {
        // The manager recorded the reason (RepositoryIndex); what served keeps serving.
        logger.warn({ model: name, reason: messageOf(error) }, 'reload after poll failed');
      }
    }
    for (const name of result.removed) {
      if (this.#stopped) return;
      try {
        await this.#deps.unload(name);
      } catch (error) {
        logger.warn({ model: name, reason: messageOf(error) }, 'unload after poll failed');
      }
    }
    if (result.changed.length + result.removed.length > 0) {
      logger.info({ changed: result.changed, removed: result.removed }, 'model repository changed');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
