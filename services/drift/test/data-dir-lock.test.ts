/**
 * One drift service per --data-dir: a second one on the same directory refuses to start,
 * naming the directory and the holder's pid; a stale lock (its process gone) is taken over
 * and logged; a stopped service leaves the directory free.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dataDirLockFile } from '@sightline/service-kit';
import { memoryLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDrift } from './helpers/drift-test-service.js';

describe('--data-dir lock', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-lock-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second service on a directory in use, and frees it at stop', async () => {
    const first = await startTestDrift({ dataDir });
    try {
      await expect(startTestDrift({ dataDir })).rejects.toThrow(
        `--data-dir ${dataDir} is in use by another drift service (pid ${process.pid}`,
      );
      // The first one still serves.
      await first.client.createDetector({ name: 'still-serving', config: { ks: {} } });
    } finally {
      await first.stop();
    }
    const second = await startTestDrift({ dataDir });
    expect((await second.client.listDetectors({})).detectors.map((d) => d.name)).toEqual(['still-serving']);
    await second.stop();
  });

  it('takes over a stale lock whose process is gone, and logs it', async () => {
    const child = spawnSync(process.execPath, ['-e', ''], { timeout: 10_000 });
    expect(child.pid).toBeGreaterThan(0);
    await writeFile(path.join(dataDir, dataDirLockFile('drift')), `${child.pid}\n`);
    const memory = memoryLogger('warn');
    const drift = await startTestDrift({ dataDir, logger: memory.logger });
    await drift.stop();
    expect(memory.lines.some((line) => /stale lock/.test(String(line.msg)))).toBe(true);
  });
});
