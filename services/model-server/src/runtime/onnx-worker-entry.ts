/**
 * The body of an ONNX runtime worker thread: loads one OnnxRuntime instance and runs it on
 * request, so a long-running session never blocks the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../model/logger.js';
import { OnnxRuntime } from './onnx-runtime.js';
import {
  type FromWorker,
  packTensors,
  type ToWorker,
  toWireError,
  unpackTensors,
  type WorkerInit,
} from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('onnx-worker-entry runs only as a worker thread');
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const logger: Logger = {
  info: (fields, message) => post({ type: 'log', level: 'info', fields, message }),
  warn: (fields, message) => post({ type: 'log', level: 'warn', fields, message }),
  error: (fields, message) => post({ type: 'log', level: 'error', fields, message }),
};

const init = workerData as WorkerInit;
const runtime = OnnxRuntime.load(init.config, init.versionDir, {
  device: init.device,
  gpuDetected: init.gpuDetected,
  logger,
});

runtime.then(
  (loaded) =>
    post({ type: 'loaded', inputs: loaded.inputs, outputs: loaded.outputs, backend: loaded.backend }),
  (error: unknown) => post({ type: 'load-failed', error: toWireError(error) }),
);

port.on('message', (message: ToWorker) => {
  if (message.type === 'dispose') {
    runtime
      .then((loaded) => loaded.dispose())
      .catch(() => {})
      .finally(() => {
        post({ type: 'disposed' });
        port.close();
      });
    return;
  }
  runtime
    .then((loaded) => loaded.run(unpackTensors(message.inputs), message.outputNames))
    .then(
      (outputs) => {
        const { tensors, transfer } = packTensors(outputs.values(), 'own');
        post({ type: 'result', id: message.id, outputs: tensors }, transfer);
      },
      (error: unknown) => post({ type: 'failed', id: message.id, error: toWireError(error) }),
    );
});
