/**
 * The live scorer's checkpoint on disk: one JSON file written atomically (temporary file,
 * flushed, renamed, directory flushed), so a kill -9 leaves the previous checkpoint or the
 * new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LiveCheckpoint } from './live-scorer.js';

/**
 * Writes `value` as JSON to `path` atomically (temporary file, flushed, renamed, directory
 * flushed): a kill -9 leaves the previous file or the new one. Shared by every state file the
 * detectors keep (open windows, online detectors' running state).
 */
export async function writeJsonFileAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(value));
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
 * The JSON state file at `path`: undefined when there is none; a file that cannot be read,
 * is not JSON or fails `isState` is reported as `unreadable` with the reason (`notWhat` names
 * what it is not), so the caller logs it and starts empty.
 */
export async function readJsonStateFile<T>(
  path: string,
  isState: (value: unknown) => value is T,
  notWhat: string,
): Promise<{ checkpoint?: T; unreadable?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { unreadable: (error as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { unreadable: `not JSON (${(error as Error).message})` };
  }
  return isState(value) ? { checkpoint: value } : { unreadable: notWhat };
}

/** Writes `checkpoint` to `path` atomically. */
export async function writeLiveCheckpoint(path: string, checkpoint: LiveCheckpoint): Promise<void> {
  await writeJsonFileAtomically(path, checkpoint);
}

/**
 * The checkpoint at `path`; undefined when there is none. A file that is not a checkpoint
 * is reported as `unreadable` with the reason, so the caller logs it and starts empty.
 */
export function readLiveCheckpoint(
  path: string,
): Promise<{ checkpoint?: LiveCheckpoint; unreadable?: string }> {
  return readJsonStateFile(
    path,
    (value): value is LiveCheckpoint =>
      typeof (value as LiveCheckpoint | null)?.schemaVersion === 'number' &&
      Array.isArray((value as LiveCheckpoint).windows),
    'not a live checkpoint',
  );
}
