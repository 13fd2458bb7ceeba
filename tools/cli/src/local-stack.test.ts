import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack } from './local-stack.js';
import { portsTaken } from './local-stack-ports.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('sightline start: a service that fails to start', () => {
  it('stops the stack and exits 1, not 0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stack-exit-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Stands in for the CLI: `serve failing` exits 1 at once (as a taken port does), `serve steady` runs until SIGTERM.
    const entry = path.join(dir, 'fake-cli.mjs');
    await writeFile(
      entry,
      "if (process.argv[3] === 'failing') process.exit(1);\nprocess.on('SIGTERM', () => process.exit(0));\nsetInterval(() => {}, 1000);\n",
    );
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await startLocalStack({
        cliEntry: entry,
        members: [
          { name: 'steady', args: [] },
          { name: 'failing', args: [] },
        ],
        env: {},
      });
      expect(code).toBe(1);
    } finally {
      quiet.mockRestore();
      stdout.mockRestore();
    }
  }, 30_000);
});

describe('sightline start: ports already taken', () => {
  it('names each port something already listens on (another stack: its /readyz would pass for ours)', async () => {
    const server: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as { port: number };
    const free: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => free.once('listening', resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const taken = await portsTaken([
      { name: 'router', host: '127.0.0.1', grpcPort: freePort, httpPort: port },
      { name: 'drift', host: '0.0.0.0', grpcPort: 0, httpPort: freePort },
    ]);
    expect(taken).toEqual([`router's HTTP port 127.0.0.1:${port}`]);
  });
});
