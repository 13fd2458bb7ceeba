/**
 * --device for Integrated Gradients' own gradients, through the service against a real
 * model-server on examples/models: `gpu` must have tfjs-node-gpu (without it, which is the case
 * on machines that cannot install it, every such call is FAILED_PRECONDITION naming the
 * package, as the outlier service's autoencoders are), `cpu` never takes it, and a bad value
 * fails the start naming the setting.
 */
import { status } from '@grpc/grpc-js';
import type { ModelServerHandle } from '@sightline/model-server';
import { loadConfig } from '@sightline/service-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explainerConfigSchema } from '../src/config.js';
import type { ExplainerHandle } from '../src/explainer.js';
import { startBuiltInExplainer } from './helpers/built-in-stack.js';
import { explainerClient, irisInstances, startTestModelServer } from './helpers/explainer-stack.js';

/** Whether tfjs-node-gpu (and so a CUDA libtensorflow) loads in this process. */
async function gpuPackageLoads(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node-gpu' as string);
    return true;
  } catch {
    return false;
  }
}

const ROW = [5.1, 3.5, 1.4, 0.2];

describe('--device', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle | undefined;
  let client: ReturnType<typeof explainerClient> | undefined;

  beforeAll(async () => {
    modelServer = await startTestModelServer();
  });
  afterEach(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    client = undefined;
    explainer = undefined;
  });
  afterAll(async () => {
    await modelServer?.shutdown('test over');
  });

  async function integratedGradients(device: string) {
    explainer = await startBuiltInExplainer(modelServer.grpcAddress, { device });
    client = explainerClient(explainer.grpcAddress);
    return client
      .explain({
        target: { modelName: 'iris-tfjs' },
        instances: irisInstances([ROW]),
        integratedGradients: {},
      })
      .then(
        (response) => ({ response, error: undefined }),
        (error: { code: number; details: string }) => ({ response: undefined, error }),
      );
  }

  it('gpu: the GPU backend, or FAILED_PRECONDITION naming tfjs-node-gpu where it cannot load, on every call', async () => {
    const first = await integratedGradients('gpu');
    if (await gpuPackageLoads()) {
      expect(first.error).toBeUndefined();
      expect(first.response?.usage?.backend).toBe('tfjs-node-gpu');
      return;
    }
    expect(first.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(first.error?.details).toMatch(
      /device gpu asked for TF\.js, but @tensorflow\/tfjs-node-gpu cannot be used/,
    );
    // Not a failure kept from the first call only: the next call is refused the same way.
    const again = await client!
      .explain({
        target: { modelName: 'iris-tfjs' },
        instances: irisInstances([ROW]),
        integratedGradients: {},
      })
      .then(
        () => undefined,
        (error: { code: number; details: string }) => error,
      );
    expect(again?.code).toBe(status.FAILED_PRECONDITION);
  });

  it('cpu: explains on a CPU backend and says which', async () => {
    const { response, error } = await integratedGradients('cpu');
    expect(error).toBeUndefined();
    expect(response?.explanations[0]?.complete).toBe(true);
    expect(['tfjs-node', 'tfjs-wasm', 'tfjs-cpu']).toContain(response?.usage?.backend);
  });

  it('defaults to auto and refuses another value naming the setting', () => {
    expect(loadConfig(explainerConfigSchema, { flags: {} }).device).toBe('auto');
    expect(() => loadConfig(explainerConfigSchema, { flags: { device: 'tpu' } })).toThrow(/device/);
  });
});
