/**
 * The explainer with its built-in methods (builtInMethods(): the registry `serve explainer`
 * runs) over a real model-server on examples/models, both in this process on loopback
 * ephemeral ports; plus ModelInfer straight to the model-server, to check answers against.
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor, decodeInferOutputs, encodeInferInputs } from '@sightline/tensor';
import { explainerConfigSchema } from '../../src/config.js';
import { type ExplainerHandle, startExplainer } from '../../src/explainer.js';
import { REPOSITORY } from './explainer-stack.js';

/** An explainer with the built-in methods whose --model-server is `modelServer`. */
export async function startBuiltInExplainer(
  modelServer: string,
  flags: Readonly<Record<string, string>> = {},
): Promise<ExplainerHandle> {
  const config = loadConfig(explainerConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: '0',
      httpPort: '0',
      modelServer,
      router: '127.0.0.1:1',
      repository: REPOSITORY,
      logLevel: 'silent',
      ...flags,
    },
  });
  return startExplainer(config, { logger: silentLogger() });
}

/** `model`'s first output for `count` FP32 rows of `shape` (per row), by one ModelInfer to `address`. */
export function inferRows(
  address: string,
  model: string,
  input: { name: string; shape: readonly number[] },
  rows: ArrayLike<number>,
  count: number,
): Promise<Float64Array> {
  const client = new inference.GRPCInferenceServiceClient(address, credentials.createInsecure());
  const encoded = encodeInferInputs(
    [createTensor(input.name, 'FP32', [count, ...input.shape], Float32Array.from(rows))],
    'raw',
  );
  return new Promise((resolve, reject) => {
    client.modelInfer(
      { modelName: model, modelVersion: '', id: '', parameters: {}, outputs: [], ...encoded },
      (error: ServiceError | null, response: inference.ModelInferResponse) => {
        client.close();
        if (error) return reject(error);
        resolve(Float64Array.from(decodeInferOutputs(response)[0]!.data as Float32Array));
      },
    );
  });
}
