/**
 * The data-directory lock under concurrent takers: however many starts race for one
 * directory (free, or held by a stale lock of a dead process), exactly one holds it, the
 * others are refused naming the holder, and nothing but the lock file is left behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLock } from '../src/index.js';
import { memoryLogger } from '../src/testing/index.js';

/** A pid no process has now: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (!child.pid) throw new Error('could not spawn a child to get a dead pid');
  return child.pid;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const owner = () => ({ service: 'drift', flag: '--data-dir', logger: memoryLogger('info').logger });

/** `takers` acquires at once; the held locks and the refusals. */
async function race(takers: number) {
  const settled = await Promise.allSettled(
    Array.from({ length: takers }, () => DataDirLock.acquire(dir, owner())),
  );
  const held = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const refused = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  return { held, refused };
}

describe('DataDirLock with concurrent takers', () => {
  it('of a free directory: exactly one holds it, every other is refused naming the holder', async () => {
    const { held, refused } = await race(20);
    expect(held).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const reason of refused)
      expect(reason).toContain(`in use by another drift service (pid ${process.pid}`);
    expect(await readFile(path.join(dir, 'drift.lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(await readdir(dir)).toEqual(['drift.lock']);
    await held[0]!.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('of a stale lock (its process gone, or no pid at all): exactly one takes it over', async () => {
    for (const stale of [`${deadPid()}\n`, '']) {
      await writeFile(path.join(dir, 'drift.lock'), stale);
      const { held, refused } = await race(10);
      expect(held).toHaveLength(1);
      expect(refused).toHaveLength(9);
      expect(await readFile(path.join(dir, 'drift.lock'), 'utf8')).toBe(`${process.pid}\n`);
      expect(await readdir(dir)).toEqual(['drift.lock']);
      await held[0]!.release();
    }
  });

  it('keeps its lock file where the owner says, creating the folders', async () => {
    const lock = await DataDirLock.acquire(dir, { ...owner(), lockFile: '.state/drift.lock' });
    expect(await readFile(path.join(dir, '.state/drift.lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(await readdir(path.join(dir, '.state'))).toEqual(['drift.lock']);
    await lock.release();
  });
});
