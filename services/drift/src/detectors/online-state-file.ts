/**
 * The online detectors' running state on disk (libs/detect's OnlineCheckpoint): one JSON file
 * beside the open windows' checkpoint, written atomically by libs/detect's state-file writer
 * at the same times, so a kill -9 leaves the previous state or the new one.
 */
import { type OnlineCheckpoint, readJsonStateFile, writeJsonFileAtomically } from '@sightline/detect';

/** The file's name in the windows directory. */
export const ONLINE_STATE_FILE = 'online-state.json';

/** Writes `checkpoint` to `path` atomically. */
export function writeOnlineState(path: string, checkpoint: OnlineCheckpoint): Promise<void> {
  return writeJsonFileAtomically(path, checkpoint);
}

/** The saved state; undefined when there is none; `unreadable` with the reason for a file that is not one. */
export function readOnlineState(
  path: string,
): Promise<{ checkpoint?: OnlineCheckpoint; unreadable?: string }> {
  return readJsonStateFile(
    path,
    (value): value is OnlineCheckpoint =>
      typeof (value as OnlineCheckpoint | null)?.schemaVersion === 'number' &&
      Array.isArray((value as OnlineCheckpoint).detectors),
    'not an online state file',
  );
}
