/**
 * `sightline serve` as a user runs it: a failed start prints one sentence (no stack) and
 * exits non-zero; a bare boolean flag parses. Runs the built CLI (nx builds before test).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/sightline.js');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SIGHTLINE_LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

let dataDir: string;
let holder: Server;
let heldPort: number;
let aFile: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cli-serve-'));
  aFile = path.join(dataDir, 'a-file');
  await writeFile(aFile, 'not a directory');
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  heldPort = (holder.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => holder?.close(() => resolve()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('sightline serve start-up errors', () => {
  const base = () => ['serve', 'router', '--host', '127.0.0.1', '--data-dir', dataDir, '--events', 'false'];

  it('names a missing graphs directory in one line, and takes a bare --strict-graphs', async () => {
    const missing = path.join(dataDir, 'no-such-graphs');
    const { code, stderr } = await run([
      ...base(),
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--strict-graphs',
      '--graphs',
      missing,
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toBe(`sightline: router failed to start: --graphs ${missing}: no such directory\n`);
  });

  it.each([
    ['--data-dir', () => ['--data-dir', aFile]],
    ['--graphs', () => ['--graphs', aFile]],
  ])('names %s pointing at a file in one line', async (flag, args) => {
    const { code, stderr } = await run([...base(), '--grpc-port', '0', '--http-port', '0', ...args()]);
    expect(code).not.toBe(0);
    expect(stderr).toBe(
      `sightline: router failed to start: ${flag} ${aFile}: not a directory (it is a file)\n`,
    );
  });

  it('names a --host that is no local address in one line, without grpc-js log lines', async () => {
    const { code, stderr } = await run([
      'serve',
      'router',
      '--host',
      '203.0.113.7',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      '--events',
      'false',
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toBe(
      'sightline: router failed to start: gRPC port 203.0.113.7:0 (--grpc-port): no such local address; check --host\n',
    );
  });

  it('names a gRPC port in use in one line', async () => {
    const { code, stderr } = await run([...base(), '--grpc-port', String(heldPort), '--http-port', '0']);
    expect(code).not.toBe(0);
    expect(stderr).toBe(
      `sightline: router failed to start: gRPC port 127.0.0.1:${heldPort} (--grpc-port): address already in use; stop what holds it or pick another port\n`,
    );
  });

  it('names an HTTP port in use in one line', async () => {
    const { code, stderr } = await run([...base(), '--grpc-port', '0', '--http-port', String(heldPort)]);
    expect(code).not.toBe(0);
    expect(stderr).toBe(
      `sightline: router failed to start: HTTP port 127.0.0.1:${heldPort} (--http-port): address already in use; stop what holds it or pick another port\n`,
    );
  });
});
