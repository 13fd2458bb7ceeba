/**
 * The online detectors' running state on disk (libs/detect's OnlineCheckpoint): one JSON file
 * beside the open windows' checkpoint, written atomically (temporary file, flushed, renamed,
 * directory flushed) at the same times, so a kill -9 leaves the previous state or the new one.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OnlineCheckpoint } from '@sightline/detect';

/** The file's name in the windows directory. */
export const ONLINE_STATE_FILE = 'online-state.json';

/** Writes `checkpoint` to `path` atomically. */
export async function writeOnlineState(path: string, checkpoint: OnlineCheckpoint): Promise<void> {
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

/** The saved state; undefined when there is none; `unreadable` with the reason for a file that is not one. */
export async function readOnlineState(
  path: string,
): Promise<{ checkpoint?: OnlineCheckpoint; unreadable?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { unreadable: (error as Error).message };
  }
  try {
    const checkpoint = JSON.parse(text) as OnlineCheckpoint;
    if (typeof checkpoint.schemaVersion !== 'number' || !Array.isArray(checkpoint.detectors)) {
      return { unreadable: 'not an online state file' };
    }
    return { checkpoint };
  } catch (error) {
    return { unreadable: `not JSON (${(error as Error).message})` };
  }
}
