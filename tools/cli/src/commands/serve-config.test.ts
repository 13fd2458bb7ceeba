/** `sightline serve <service>` with a config file, in-process with a stand-in service. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../frame/usage-error.js';
import type { ServeableService } from '../service-registry.js';
import { registerServeCommands } from './serve.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Runs `serve outlier ...args` and returns the flags the service was started with. */
async function serve(args: readonly string[]): Promise<Readonly<Record<string, unknown>>> {
  let received: Readonly<Record<string, unknown>> | undefined;
  const outlier: ServeableService = {
    name: 'outlier',
    summary: 'stand-in',
    schema: z.object({
      grpcPort: z.coerce.number().int().min(0).max(65_535).default(8002),
      logLevel: z.enum(['info', 'debug', 'warn']).default('info'),
      dataDir: z.string().default('.data/outlier'),
    }),
    run: async (flags) => {
      received = flags;
    },
    localStackFlags: () => [],
  };
  const program = new Command('sightline').exitOverride();
  await registerServeCommands(program, [outlier]);
  await program.parseAsync(['node', 'sightline', 'serve', 'outlier', ...args]);
  if (!received) throw new Error('the service did not run');
  return received;
}

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serve-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'sightline.yaml');
  await writeFile(file, text);
  return file;
}

describe('sightline serve with a config file', () => {
  it("starts the service with its section's settings, under the flags and the environment", async () => {
    const file = await configFile('outlier:\n  grpc-port: 7002\n  log-level: debug\n  data-dir: /srv/o\n');
    vi.stubEnv('SIGHTLINE_LOG_LEVEL', 'warn');
    const flags = await serve(['--config', file, '--data-dir', '/flag']);
    // log-level comes from the environment: not passed, the service reads it itself.
    expect(flags).toEqual({ grpcPort: '7002', dataDir: '/flag' });
  });

  it('reads the file SIGHTLINE_CONFIG names', async () => {
    vi.stubEnv('SIGHTLINE_CONFIG', await configFile('outlier:\n  grpc-port: 7003\n'));
    expect(await serve([])).toEqual({ grpcPort: '7003' });
  });

  it('refuses a bad file before the service starts, naming file, line, section and key', async () => {
    const file = await configFile('outlier:\n  grpc-port: 70000\n');
    const failure = serve(['--config', file]);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(`${file}:2: outlier.grpc-port: `);
  });
});
