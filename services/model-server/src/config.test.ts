import { loadConfig } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import { modelServerConfigSchema } from './config.js';

const load = (flags: Record<string, string>) => loadConfig(modelServerConfigSchema, { flags, env: {} });

describe('model-server settings of a remote repository', () => {
  it('defaults: 10 GiB of cache, a poll every 30 s, 10 minutes per file, virtual-hosted S3', () => {
    const config = load({ repository: 's3://models/prod' });
    expect(config).toMatchObject({
      repositoryCacheMaxBytes: 10 * 1024 ** 3,
      repositoryPollIntervalMs: 30_000,
      repositoryDownloadTimeoutMs: 600_000,
      repositoryListTimeoutMs: 30_000,
      s3ForcePathStyle: false,
    });
    expect(config.repositoryCacheDir).toBeUndefined();
    expect(load({ repository: 'x', repositoryPollIntervalMs: '0' }).repositoryPollIntervalMs).toBe(0);
  });

  it('stops the start on a repository URI against the rules, naming the flag', () => {
    expect(() => load({ repository: 's3://Bad/x' })).toThrow(/--repository: bucket "Bad" of s3:\/\/ must be/);
    expect(() => load({ repository: 'ftp://host/models' })).toThrow(
      /--repository: scheme "ftp" is not supported/,
    );
    expect(() => load({ repository: 's3://models', s3Endpoint: 'not a url' })).toThrow(/--s3-endpoint/);
    expect(() => load({ repository: 's3://models', repositoryCacheMaxBytes: '0' })).toThrow(
      /--repository-cache-max-bytes/,
    );
  });
});
