/**
 * The live scorer's checkpoint on disk: one JSON file written atomically (temporary file,
 * flushed, renamed, directory flushed), so a kill -9 leaves the previous checkpoint or the
 * new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LiveCheckpoint } from './live-scorer.js';

/** Writes `checkpoint` to `path` atomically. */
export async function writeLiveCheckpoint(path: string, checkpoint: LiveCheckpoint): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(checkpoint));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * The checkpoint at `path`; undefined when there is none. A file that is not a checkpoint
 * is reported as `unreadable` with the reason, so the caller logs it and starts empty.
 */
export async function readLiveCheckpoint(
  path: string,
): Promise<{ checkpoint?: LiveCheckpoint; unreadable?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { unreadable: (error as Error).message };
  }
  try {
    const checkpoint = JSON.parse(text) as LiveCheckpoint;
    if (typeof checkpoint.schemaVersion !== 'number' || !Array.isArray(checkpoint.windows)) {
      return { unreadable: 'not a live checkpoint' };
    }
    return { checkpoint };
  } catch (error) {
    return { unreadable: `not JSON (${(error as Error).message})` };
  }
}
