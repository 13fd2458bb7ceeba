import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDirectorySetting } from './directory-setting.js';

describe('checkDirectorySetting', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'directory-setting-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts an existing directory, and an absent one unless it must exist', async () => {
    const dir = scratch();
    await expect(checkDirectorySetting('--data-dir', dir, true)).resolves.toBeUndefined();
    await expect(checkDirectorySetting('--data-dir', join(dir, 'later'), false)).resolves.toBeUndefined();
  });

  it('names the flag and the path when the directory is missing, a file, or under a file', async () => {
    const dir = scratch();
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    await expect(checkDirectorySetting('--repository', join(dir, 'absent'), true)).rejects.toThrow(
      `--repository ${join(dir, 'absent')}: no such directory`,
    );
    await expect(checkDirectorySetting('--graphs', file, true)).rejects.toThrow(
      `--graphs ${file}: not a directory (it is a file)`,
    );
    await expect(checkDirectorySetting('--data-dir', join(file, 'sub'), false)).rejects.toThrow(
      `--data-dir ${join(file, 'sub')}: a parent of it is a file, not a directory`,
    );
  });
});
