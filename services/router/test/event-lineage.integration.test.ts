/**
 * Lineage in inference events: a model-server child process serving a copy of the iris
 * example whose config records its provenance, the router in the test's process in front of
 * it. The events of requests routed to that version carry its `lineage.*` parameters, read
 * once from ModelMetadata; the first events of a version may go without them while that
 * lookup is in flight, so the test sends until one is stored with them (bounded).
 */
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { eventsV1, inference } from '@sightline/contracts';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, REPO_ROOT, startChildService } from './helpers/child-service.js';
import { eventClient, queryEvents } from './helpers/event-calls.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, irisRequest } from './helpers/v2-calls.js';

const LINEAGE_YAML = [
  'lineage:',
  `  training_data: { hash: "sha256:${'c0'.repeat(32)}", location: "s3://data/iris.csv" }`,
  '  code_revision: 4f2c9e1',
  '  license: Apache-2.0',
  '',
].join('\n');

let base: string;
let modelServer: ChildService;
let router: RouterHandle;
let infer: inference.GRPCInferenceServiceClient;
let events: eventsV1.EventServiceClient;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'router-lineage-'));
  const repository = path.join(base, 'models');
  await cp(path.join(REPO_ROOT, 'examples/models/iris'), path.join(repository, 'iris'), { recursive: true });
  await appendFile(path.join(repository, 'iris', 'config.yaml'), LINEAGE_YAML);
  modelServer = await startChildService('model-server', ['--repository', repository]);
  router = await startRouter(
    testRouterConfig({
      graphs: path.join(REPO_ROOT, 'examples/graphs'),
      defaultModelServer: modelServer.address,
      dataDir: path.join(base, 'router-data'),
    }),
    { logger: silentLogger(), env: { MODEL_SERVER_ADDRESS: modelServer.address } },
  );
  infer = inferenceClient(router.grpcAddress);
  events = eventClient(router.grpcAddress);
}, 120_000);

afterAll(async () => {
  infer?.close();
  events?.close();
  await router?.shutdown();
  await modelServer?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

describe('inference events', () => {
  it('record the lineage of the model version that answered, from its ModelMetadata', async () => {
    let found: eventsV1.InferenceEvent | undefined;
    for (let attempt = 0; attempt < 100 && found === undefined; attempt++) {
      const id = `lineage-${attempt}-${Date.now()}`;
      await call(infer, infer.modelInfer, irisRequest('iris', [[5.1, 3.5, 1.4, 0.2]], id));
      await router.pipeline!.flush();
      const [event] = await queryEvents(events, { requestId: id });
      if (event && Object.keys(event.modelLineage).length > 0) found = event;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(found).toBeDefined();
    expect(found!.modelName).toBe('iris');
    expect(found!.modelVersion).toBe('1');
    expect(found!.modelLineage).toEqual({
      'lineage.code_revision': '4f2c9e1',
      'lineage.license': 'Apache-2.0',
      'lineage.training_data.hash': `sha256:${'c0'.repeat(32)}`,
      'lineage.training_data.location': 's3://data/iris.csv',
    });
  });
});
