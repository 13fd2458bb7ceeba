import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUpstreamTls } from './upstream-tls.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('loadUpstreamTls', () => {
  it('is plaintext with nothing set, the system roots with --upstream-tls alone, and reads the files given', async () => {
    expect(await loadUpstreamTls({ tls: false })).toBeUndefined();
    expect(await loadUpstreamTls({ tls: true })).toEqual({ ca: undefined, cert: undefined, key: undefined });
    const dir = await mkdtemp(path.join(tmpdir(), 'upstream-tls-'));
    dirs.push(dir);
    const file = async (name: string) => {
      await writeFile(path.join(dir, name), name);
      return path.join(dir, name);
    };
    // A CA file alone implies TLS.
    const material = await loadUpstreamTls({
      tls: false,
      caFile: await file('ca'),
      certFile: await file('cert'),
      keyFile: await file('key'),
    });
    expect([material?.ca, material?.cert, material?.key].map(String)).toEqual(['ca', 'cert', 'key']);
  });

  it('refuses a client certificate without its key, and the reverse', async () => {
    await expect(loadUpstreamTls({ tls: true, certFile: 'c.pem' })).rejects.toThrow(/go together/);
    await expect(loadUpstreamTls({ tls: true, keyFile: 'k.pem' })).rejects.toThrow(/go together/);
  });
});
