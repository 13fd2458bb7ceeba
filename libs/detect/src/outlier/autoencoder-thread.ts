/**
 * The autoencoder's training thread (node:worker_threads): selects the TF.js backend with
 * the kind's device rules, trains on the reference it was sent and posts progress, then the
 * model's files (their buffers transferred) or the failure. The kind terminates it when the
 * fit's budget is spent, so a step that takes seconds never holds the service's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCode } from '@sightline/errors';
import { selectTfjsBackend } from '@sightline/tfjs';
import type { FromTrainingThread, TrainingThreadInit } from './autoencoder-thread-protocol.js';
import { trainAutoencoder } from './autoencoder-training.js';

const port = parentPort;
if (port === null) throw new Error('autoencoder-thread.js runs as a worker thread only');
const send = (message: FromTrainingThread, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

async function main(init: TrainingThreadInit): Promise<void> {
  const { tf, label } = await selectTfjsBackend({
    device: init.device,
    gpuDetected: init.gpuDetected,
    logger: {
      info: (fields, message) => send({ type: 'log', level: 'info', fields, message }),
      warn: (fields, message) => send({ type: 'log', level: 'warn', fields, message }),
    },
  });
  send({ type: 'ready', backend: label });
  const { files, training } = await trainAutoencoder({
    tf,
    backend: label,
    x: init.x,
    rows: init.rows,
    features: init.features,
    params: init.params,
    progressIntervalMs: init.progressIntervalMs,
    report: (step) => send({ type: 'progress', ...step }),
  });
  send({ type: 'done', files, training }, [
    ...new Set(Object.values(files).map((bytes) => bytes.buffer as ArrayBuffer)),
  ]);
}

main(workerData as TrainingThreadInit).catch((error: unknown) => {
  const code = errorCode(error);
  send({
    type: 'failed',
    code,
    message: error instanceof Error ? error.message : String(error),
  });
});
