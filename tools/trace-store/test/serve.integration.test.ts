/**
 * `sightline serve trace-store` as a process: a taken OTLP port stops the start with one
 * sentence that names the flag and what to do under `sightline start`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/child-service.js';

it('refuses to start on a taken OTLP port with one sentence naming --otlp-port', async () => {
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  const { port } = holder.address() as { port: number };
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'tools/cli/bin/sightline.js'),
      'serve',
      'trace-store',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--otlp-port',
      String(port),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  holder.close();
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(
    new RegExp(
      `^sightline: trace-store failed to start: OTLP port 127\\.0\\.0\\.1:${port} \\(--otlp-port\\) is in use .*OTEL_EXPORTER_OTLP_ENDPOINT`,
    ),
  );
});
