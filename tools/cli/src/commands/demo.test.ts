import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../frame/usage-error.js';
import { readDemoData, stackFailureLine } from './demo.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('demo --data', () => {
  it('is a usage error (exit 2) naming the flag when the file is missing or not the iris CSV, not an internal error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'demo-data-'));
    dirs.push(dir);
    const missing = path.join(dir, 'missing.csv');
    await expect(readDemoData(missing)).rejects.toThrow(
      new UsageError(`--data: cannot read ${missing} (ENOENT)`),
    );
    await expect(readDemoData(missing)).rejects.toBeInstanceOf(UsageError);
    const other = path.join(dir, 'other.csv');
    await writeFile(other, 'a,b\n1,2\n');
    await expect(readDemoData(other)).rejects.toThrow(
      `--data: ${other}: line 1: expected the header sepal_length,sepal_width,petal_length,petal_width,species, got a,b`,
    );
    await expect(readDemoData(other)).rejects.toBeInstanceOf(UsageError);
    const good = path.join(dir, 'good.csv');
    await writeFile(good, 'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,0\n');
    expect((await readDemoData(good)).features).toEqual([[5.1, 3.5, 1.4, 0.2]]);
  });
});

describe('a stack the demo started that fails', () => {
  it('is quoted by the line that says why, not its last stop line', () => {
    const output = [
      'settings: /tmp/s/sightline.yaml (flags and SIGHTLINE_* variables win over it)',
      '[trace-store] sightline: trace-store failed to start: OTLP port 127.0.0.1:4318 (--otlp-port) is in use',
      '[trace-store] exited (1); stopping the stack',
      '[explainer] stopped (killed by SIGTERM)',
      '[metrics] stopped (killed by SIGTERM)',
    ].join('\n');
    expect(stackFailureLine(output)).toBe(
      '[trace-store] sightline: trace-store failed to start: OTLP port 127.0.0.1:4318 (--otlp-port) is in use',
    );
    expect(stackFailureLine('[router] exited (SIGKILL); stopping the stack\n[drift] stopped\n')).toBe(
      '[router] exited (SIGKILL); stopping the stack',
    );
    expect(
      stackFailureLine("settings: x\nsightline start: drift's gRPC port 127.0.0.1:8003 already in use\n"),
    ).toBe("sightline start: drift's gRPC port 127.0.0.1:8003 already in use");
    expect(stackFailureLine('not ready after 120000 ms: router\n')).toBe('not ready after 120000 ms: router');
  });
});
