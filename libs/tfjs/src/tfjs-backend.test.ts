import { FailedPreconditionError } from '@sightline/errors';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { selectTfjsBackend, type TfjsLogger } from './tfjs-backend.js';

/** A logger that keeps what it was told, to check that each fallback says why. */
function recordingLogger(): TfjsLogger & { readonly lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (_fields, message) => lines.push({ level: 'info', message }),
    warn: (_fields, message) => lines.push({ level: 'warn', message }),
  };
}

/** No native package is installed (as on this machine, where libtensorflow cannot be downloaded). */
const nothingInstalled = async (specifier: string): Promise<unknown> => {
  throw new Error(`Cannot find package '${specifier}'`);
};

/**
 * Pretends `installed` is there: importing it registers the `tensorflow` backend as the real
 * native packages do (here the plain cpu backend stands in for libtensorflow).
 */
function pretendInstalled(installed: string): (specifier: string) => Promise<unknown> {
  return async (specifier) => {
    if (specifier !== installed) return nothingInstalled(specifier);
    if (tf.findBackendFactory('tensorflow') !== null) return {};
    const cpuFactory = tf.findBackendFactory('cpu');
    if (cpuFactory === null) throw new Error('the cpu backend is not registered');
    tf.registerBackend('tensorflow', cpuFactory);
    return {};
  };
}

describe('selectTfjsBackend', () => {
  afterEach(async () => {
    // TF.js's engine is global to this test file: leave it as the next test expects.
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('falls back to wasm (or cpu) when neither native package is installed, saying why', async () => {
    const logger = recordingLogger();
    const backend = await selectTfjsBackend({
      device: 'auto',
      gpuDetected: false,
      logger,
      importModule: nothingInstalled,
    });
    expect(['tfjs-wasm', 'tfjs-cpu']).toContain(backend.label);
    expect(backend.tf.getBackend()).toBe(backend.label === 'tfjs-wasm' ? 'wasm' : 'cpu');
    expect(logger.lines[0]).toEqual({
      level: 'info',
      message: 'TF.js native backend not installed, trying wasm',
    });
    // A tensor made after selection lives on the selected backend and computes.
    expect(Array.from(backend.tf.tensor1d([1, 2]).mul(2).dataSync())).toEqual([2, 4]);
  });

  it('takes tfjs-node when it loads, and tries tfjs-node-gpu first only where a GPU is detected', async () => {
    const tried: string[] = [];
    const node = pretendInstalled('@tensorflow/tfjs-node');
    const importModule = (specifier: string) => {
      tried.push(specifier);
      return node(specifier);
    };
    const withoutGpu = await selectTfjsBackend({
      device: 'auto',
      gpuDetected: false,
      logger: recordingLogger(),
      importModule,
    });
    expect(withoutGpu.label).toBe('tfjs-node');
    expect(tried).toEqual(['@tensorflow/tfjs-node']);

    tried.length = 0;
    const logger = recordingLogger();
    const withGpu = await selectTfjsBackend({ device: 'auto', gpuDetected: true, logger, importModule });
    expect(withGpu.label).toBe('tfjs-node');
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(logger.lines).toContainEqual({ level: 'warn', message: 'TF.js GPU backend unavailable' });
  });

  it('takes tfjs-node-gpu where a GPU is detected and it loads', async () => {
    const backend = await selectTfjsBackend({
      device: 'auto',
      gpuDetected: true,
      logger: recordingLogger(),
      importModule: pretendInstalled('@tensorflow/tfjs-node-gpu'),
    });
    expect(backend.label).toBe('tfjs-node-gpu');
    expect(backend.tf.getBackend()).toBe('tensorflow');
  });

  it('never tries the GPU package for device cpu', async () => {
    const tried: string[] = [];
    const backend = await selectTfjsBackend({
      device: 'cpu',
      gpuDetected: true,
      logger: recordingLogger(),
      importModule: async (specifier) => {
        tried.push(specifier);
        return nothingInstalled(specifier);
      },
    });
    expect(tried).toEqual(['@tensorflow/tfjs-node']);
    expect(['tfjs-wasm', 'tfjs-cpu']).toContain(backend.label);
  });

  it('refuses device gpu when tfjs-node-gpu cannot be used, naming the package and the reason', async () => {
    const selection = selectTfjsBackend({
      device: 'gpu',
      gpuDetected: false,
      logger: recordingLogger(),
      importModule: nothingInstalled,
    });
    await expect(selection).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(selection).rejects.toThrow(
      /device gpu asked for TF\.js, but @tensorflow\/tfjs-node-gpu cannot be used .*Cannot find package '@tensorflow\/tfjs-node-gpu'/,
    );
  });
});
