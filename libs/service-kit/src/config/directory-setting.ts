/**
 * Checks of a directory setting (`--graphs`, `--data-dir`, `--repository`) before a service uses it,
 * so a wrong path stops the start with one sentence naming the flag instead of a raw
 * `ENOTDIR: mkdir ...` from whichever part touched it first.
 */
import { stat } from 'node:fs/promises';

/**
 * @throws Error `<flag> <directory>: not a directory` when the path is a file, or, with
 *   `mustExist`, `<flag> <directory>: no such directory` when nothing is there.
 */
export async function checkDirectorySetting(
  flag: string,
  directory: string,
  mustExist: boolean,
): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (mustExist) throw new Error(`${flag} ${directory}: no such directory`, { cause: error });
      return;
    }
    if (code === 'ENOTDIR')
      throw new Error(`${flag} ${directory}: a parent of it is a file, not a directory`, { cause: error });
    throw new Error(`${flag} ${directory}: ${(error as Error).message}`, { cause: error });
  }
  if (!isDirectory) throw new Error(`${flag} ${directory}: not a directory (it is a file)`);
}
