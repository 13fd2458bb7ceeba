/**
 * A real PostgreSQL 15 (Debian's `postgresql` package) started for one test file or one benchmark run on
 * 127.0.0.1 at a free port, in a temp directory, with a fresh database per test.
 *
 * initdb refuses to run as root, so as root the server runs as the `postgres` user (the temp
 * directory is handed to it first); otherwise the binaries run directly.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from '@sightline/service-kit/testing';
import pg from 'pg';

const run = promisify(execFile);
const BIN_DIR = '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'test';

export interface TestPostgres {
  /** A connection string to a new, empty database. */
  createDatabase(): Promise<string>;
  /** Stops the server (immediate mode, as a crash) and keeps its data: outage tests. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port and data. */
  resume(): Promise<void>;
  /** Stops the server (immediate mode) and removes its directory. */
  stop(): Promise<void>;
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  if (!existsSync(path.join(BIN_DIR, 'initdb')))
    throw new Error(
      `PostgreSQL 15 is not installed (no ${BIN_DIR}/initdb): apt-get install postgresql, as .ci/run does.`,
    );
  const root = await mkdtemp(path.join(tmpdir(), 'sightline-pg-'));
  const dataDir = path.join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const pgBin = async (name: string, args: string[]) => {
    const binary = path.join(BIN_DIR, name);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', binary, ...args]) : run(binary, args);
  };
  if (asRoot) {
    const { uid, gid } = await postgresUserIds();
    await chown(root, uid, gid);
  }
  await pgBin('initdb', ['-D', dataDir, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '-E', 'UTF8']);
  const port = await freeLoopbackPort();
  const start = () =>
    pgBin('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(root, 'server.log'),
      '-o',
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1`,
      '-w',
      'start',
    ]);
  await start();
  const url = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  return {
    async createDatabase() {
      const name = `store_${++databases}`;
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async halt() {
      await pgBin('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    },
    async resume() {
      await start();
    },
    async stop() {
      await pgBin('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}
