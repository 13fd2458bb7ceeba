/**
 * An ONNX model instance that runs in its own worker thread (execution_mode: worker).
 * onnxruntime-node computes synchronously on the calling thread; on the main thread a
 * model that takes milliseconds would stop the server from receiving requests (and the
 * batcher from forming batches) for as long as it runs. The hop costs a copy of the inputs
 * and ~0.1-0.3 ms, which is why tiny models may choose `inline`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '@sightline/errors';
import type { Tensor, TensorSpec } from '@sightline/tensor';
import type { Logger } from '../model/logger.js';
import type { DeviceKind, ModelConfig, ModelRuntime } from '../model/types.js';
import {
  type FromWorker,
  fromWireError,
  packTensors,
  type ToWorker,
  unpackTensors,
  type WorkerInit,
} from './worker-protocol.js';

/** The compiled worker body. Tests run this module from src/, so fall back to dist/. */
function workerEntry(): URL {
  const beside = new URL('./onnx-worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/runtime/onnx-worker-entry.js', import.meta.url);
}

interface Pending {
  resolve(outputs: Map<string, Tensor>): void;
  reject(error: unknown): void;
}

/** See the file comment. */
export class OnnxWorkerRuntime implements ModelRuntime {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | undefined;
  private disposed: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    readonly backend: string,
    private readonly label: string,
  ) {}

  /** Starts the worker and resolves once its session is loaded. */
  static load(
    config: ModelConfig,
    versionDir: string,
    options: { readonly device: DeviceKind; readonly logger: Logger; readonly gpuDetected: boolean },
  ): Promise<OnnxWorkerRuntime> {
    const init: WorkerInit = { config, versionDir, device: options.device, gpuDetected: options.gpuDetected };
    const worker = new Worker(workerEntry(), { workerData: init, name: `onnx:${config.name}` });
    const label = `model "${config.name}"`;
    return new Promise((resolve, reject) => {
      let runtime: OnnxWorkerRuntime | undefined;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'log':
            options.logger[message.level]({ ...message.fields, thread: 'worker' }, message.message);
            return;
          case 'loaded':
            runtime = new OnnxWorkerRuntime(worker, message.inputs, message.outputs, message.backend, label);
            resolve(runtime);
            return;
          case 'load-failed':
            reject(fromWireError(message.error));
            void worker.terminate();
            return;
          default:
            runtime?.onMessage(message);
        }
      });
      worker.on('error', (error) => {
        if (runtime) runtime.fail(error);
        else reject(error);
      });
      worker.on('exit', (code) => {
        const error = new Error(`${label}: its worker thread exited (code ${code})`);
        if (runtime) runtime.fail(error);
        else reject(error);
      });
    });
  }

  run(inputs: ReadonlyMap<string, Tensor>, outputNames: readonly string[]): Promise<Map<string, Tensor>> {
    if (this.dead) {
      return Promise.reject(
        new UnavailableError(`${this.label}: this instance stopped (${this.dead.message}); reload the model`),
      );
    }
    const id = this.nextId++;
    const { tensors, transfer } = packTensors(inputs.values(), 'copy');
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message: ToWorker = { type: 'run', id, inputs: tensors, outputNames };
      this.worker.postMessage(message, transfer);
    });
  }

  dispose(): Promise<void> {
    this.disposed ??= new Promise<void>((resolve) => {
      if (this.dead) {
        resolve();
        return;
      }
      this.worker.once('exit', () => resolve());
      const message: ToWorker = { type: 'dispose' };
      this.worker.postMessage(message);
    });
    return this.disposed;
  }

  private onMessage(message: FromWorker): void {
    if (message.type !== 'result' && message.type !== 'failed') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(unpackTensors(message.outputs));
    else pending.reject(fromWireError(message.error));
  }

  /** The worker is gone: every waiting run fails, later runs are refused. */
  private fail(error: Error): void {
    this.dead ??= error;
    for (const pending of this.pending.values()) {
      pending.reject(
        new UnavailableError(`${this.label}: the instance failed while running (${error.message})`),
      );
    }
    this.pending.clear();
  }
}
