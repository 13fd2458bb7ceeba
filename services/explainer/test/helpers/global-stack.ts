/**
 * The stack of a global explanation, in this process on loopback ephemeral ports: a
 * model-server on a temporary repository serving `linear` at two versions (1: shap-linear's
 * y = w·x + b, 2: shap-interaction's model, so the versions' importances differ) and the
 * TF.js `iris-tfjs` (white box: the explainer's --repository is the same directory), a router
 * storing every request's InferenceEvent in its file event store (pass-through to the
 * model-server), and an explainer with the built-in methods reading events from the router.
 * Requests are sent through the router, so the events explained are real.
 */
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '@sightline/model-server';
import { type RouterHandle, routerConfigSchema, startRouter } from '@sightline/router';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor, encodeInferInputs } from '@sightline/tensor';
import { explainerConfigSchema } from '../../src/config.js';
import { type ExplainerHandle, startExplainer } from '../../src/explainer.js';
import { REPOSITORY } from './explainer-stack.js';

/** The two versions' files. */
const VERSIONS = { '1': 'shap-linear', '2': 'shap-interaction' } as const;
export const FEATURES = 10;

const CONFIG = `platform: onnx
max_batch_size: 4096
inputs:
  - { name: input, datatype: FP32, shape: [-1, ${FEATURES}] }
outputs:
  - { name: output, datatype: FP32, shape: [-1, 1] }
execution_mode: inline
intra_op_threads: 1
version_policy: { all: {} }
`;

export interface GlobalStack {
  readonly modelServer: ModelServerHandle;
  readonly router: RouterHandle;
  readonly explainer: ExplainerHandle;
  /** Sends `rows` to `model` (default `linear`) at `version` through the router (one ModelInfer, one event). */
  infer(version: string, rows: readonly (readonly number[])[], model?: string): Promise<void>;
  /** Waits until the router has written every queued event to its store. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** `linear` at `versions` (of {@link VERSIONS}) in `repository`. */
async function writeLinear(repository: string, versions: readonly string[]): Promise<void> {
  await mkdir(path.join(repository, 'linear'), { recursive: true });
  await writeFile(path.join(repository, 'linear', 'config.yaml'), CONFIG);
  for (const version of versions) {
    const source = VERSIONS[version as keyof typeof VERSIONS];
    await mkdir(path.join(repository, 'linear', version));
    await copyFile(
      path.join(REPOSITORY, source, '1', 'model.onnx'),
      path.join(repository, 'linear', version, 'model.onnx'),
    );
  }
}

function startModelServerOn(repository: string): Promise<ModelServerHandle> {
  return startModelServer(
    loadConfig(modelServerConfigSchema, {
      flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository, logLevel: 'silent' },
    }),
    { logger: silentLogger() },
  );
}

/** A model-server serving `linear` at `versions` only (a rollout that retired the others); stop() removes its files. */
export async function startLinearModelServer(
  versions: readonly string[],
): Promise<{ readonly address: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'explainer-global-retired-'));
  await writeLinear(dir, versions);
  const server = await startModelServerOn(dir);
  return {
    address: server.grpcAddress,
    stop: async () => {
      await server.shutdown('test over');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An explainer with the built-in methods on `modelServer`, reading events from `router`. */
export function startGlobalExplainer(
  modelServer: string,
  router: string,
  flags: Readonly<Record<string, string>> = {},
): Promise<ExplainerHandle> {
  return startExplainer(
    loadConfig(explainerConfigSchema, {
      flags: {
        host: '127.0.0.1',
        grpcPort: '0',
        httpPort: '0',
        modelServer,
        router,
        logLevel: 'silent',
        ...flags,
      },
    }),
    { logger: silentLogger() },
  );
}

export async function startGlobalStack(
  explainerFlags: Readonly<Record<string, string>> = {},
): Promise<GlobalStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'explainer-global-'));
  const started: { stop(): Promise<unknown> }[] = [];
  try {
    const repository = path.join(dir, 'models');
    await writeLinear(repository, Object.keys(VERSIONS));
    await cp(path.join(REPOSITORY, 'iris-tfjs'), path.join(repository, 'iris-tfjs'), { recursive: true });
    await mkdir(path.join(dir, 'graphs'));
    const modelServer = await startModelServerOn(repository);
    started.push({ stop: () => modelServer.shutdown('test over') });
    const router = await startRouter(
      loadConfig(routerConfigSchema, {
        flags: {
          host: '127.0.0.1',
          grpcPort: 0,
          httpPort: 0,
          shutdownGraceMs: 2000,
          graphs: path.join(dir, 'graphs'),
          defaultModelServer: modelServer.grpcAddress,
          dataDir: path.join(dir, 'router'),
        },
      }),
      { logger: silentLogger() },
    );
    started.push({ stop: () => router.shutdown('test over') });
    const explainer = await startGlobalExplainer(modelServer.grpcAddress, router.grpcAddress, {
      repository,
      ...explainerFlags,
    });
    started.push({ stop: () => explainer.shutdown('test over') });
    const client = new inference.GRPCInferenceServiceClient(router.grpcAddress, credentials.createInsecure());
    return {
      modelServer,
      router,
      explainer,
      infer: (version, rows, model = 'linear') =>
        new Promise((resolve, reject) => {
          const width = rows[0]?.length ?? FEATURES;
          const tensor = createTensor('input', 'FP32', [rows.length, width], Float32Array.from(rows.flat()));
          client.modelInfer(
            inference.ModelInferRequest.fromPartial({
              modelName: model,
              modelVersion: version,
              ...encodeInferInputs([tensor], 'typed'),
            }),
            new Metadata(),
            { deadline: Date.now() + 10_000 },
            (error: ServiceError | null) => (error ? reject(error) : resolve()),
          );
        }),
      flush: async () => {
        await router.pipeline!.flush();
      },
      stop: async () => {
        client.close();
        for (const service of started.reverse()) await service.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
