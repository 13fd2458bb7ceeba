/**
 * The gRPC port opens before the repository's models finish loading (health and readiness
 * say NOT_SERVING meanwhile). A client that calls a configured model in that window must be
 * told to retry (UNAVAILABLE, with a sentence), never that the model does not exist.
 */
import { createServer } from 'node:net';
import { status } from '@grpc/grpc-js';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelServerConfigSchema, startModelServer } from '../src/index.js';
import { irisFeatures } from './helpers/iris.js';
import { createTempRepository, type TempRepository } from './helpers/temp-repository.js';
import { isServiceError, statusName, V2Client } from './helpers/v2-client.js';

/** A port free right now (bound to 0, then released), so the test knows it before the server starts. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('a model-server still loading its models', () => {
  let repo: TempRepository;

  beforeAll(async () => {
    // Three convnets load before iris (models load in name order), which keeps iris
    // configured-but-not-loaded for a while after the port opens.
    repo = await createTempRepository({
      'a-convnet': { example: 'convnet' },
      'b-convnet': { example: 'convnet' },
      'c-convnet': { example: 'convnet' },
      iris: { example: 'iris' },
    });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  it('answers UNAVAILABLE "loading" for a configured model until it serves, never NOT_FOUND', async () => {
    const grpcPort = await freePort();
    const config = loadConfig(modelServerConfigSchema, {
      flags: {
        host: '127.0.0.1',
        grpcPort: String(grpcPort),
        httpPort: '0',
        repository: repo.root,
        logLevel: 'silent',
      },
    });
    let started = false;
    const starting = startModelServer(config, { logger: silentLogger() }).finally(() => {
      started = true;
    });
    const client = new V2Client(`127.0.0.1:${grpcPort}`);
    const answers: string[] = [];
    const request = {
      modelName: 'iris',
      ...encodeInferInputs(
        [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: irisFeatures([[5.1, 3.5, 1.4, 0.2]]) }],
        'raw',
      ),
    };
    try {
      while (!started) {
        try {
          await client.modelInfer(request, { deadlineMs: 5_000 });
          answers.push('OK');
        } catch (error) {
          if (!isServiceError(error)) throw error;
          // Before the port opens the channel itself answers UNAVAILABLE (no connection).
          if (error.code === status.UNAVAILABLE && !/loading/.test(error.details)) continue;
          answers.push(`${statusName(error.code)}: ${error.details}`);
        }
      }
      const server = await starting;
      try {
        await client.modelInfer(request);
        const refused = answers.filter((a) => a !== 'OK');
        expect(refused.length).toBeGreaterThan(0);
        expect(new Set(refused)).toEqual(
          new Set(['UNAVAILABLE: model "iris" is loading and not ready yet; retry shortly']),
        );
      } finally {
        await server.shutdown('test over');
      }
    } finally {
      client.close();
    }
  });
});
