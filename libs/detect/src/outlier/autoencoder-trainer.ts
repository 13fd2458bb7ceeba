/**
 * Runs an autoencoder's training on its own thread (autoencoder-thread.ts) and watches it
 * from the event loop: forwards progress (and, while a step runs longer than the progress
 * interval, the last progress again with the time updated), enforces the fit's budget by
 * terminating the thread (so a step that takes seconds is stopped on time), and turns a
 * thread's failure into an error naming its cause. The thread is terminated on every way out.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DeadlineExceededError, errorFromStatus, GRPC_STATUS_NAMES, InternalError } from '@sightline/errors';
import type { TfjsDevice, TfjsLogger } from '@sightline/tfjs';
import type { OnlineBudget } from '../kernels.js';
import type { FitProgress } from '../kinds/detector-kind.js';
import { type AutoencoderParams, autoencoderField } from './autoencoder-params.js';
import type {
  FromTrainingThread,
  TrainingSummary,
  TrainingThreadInit,
} from './autoencoder-thread-protocol.js';

/**
 * Most milliseconds between two progress reports while training: the thread reports within
 * an epoch once this passed, and the event loop repeats the last report (time updated) when
 * a single step outlasts it, so a client's progress bar keeps moving.
 */
export const AUTOENCODER_PROGRESS_INTERVAL_MS = 1000;

/** The compiled thread entry: beside this file in dist, or dist's when run from src (tests). */
function threadEntry(): URL {
  const beside = new URL('./autoencoder-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/outlier/autoencoder-thread.js', import.meta.url);
}

/** What one off-thread training needs. */
export interface OffThreadTraining {
  /** Standardised rows, row-major; its buffer is transferred to the thread (unusable after). */
  readonly x: Float32Array;
  readonly rows: number;
  readonly features: number;
  readonly params: AutoencoderParams;
  readonly device: TfjsDevice;
  readonly gpuDetected: boolean;
  readonly logger: TfjsLogger;
  readonly budget: OnlineBudget | undefined;
  readonly onProgress: ((progress: FitProgress) => void) | undefined;
  /** Milliseconds since the epoch (progress times and the budget's messages). */
  readonly now: () => number;
  /** Called with the thread once started (tests watch it end). */
  readonly onThread?: ((thread: Worker) => void) | undefined;
}

/**
 * Trains on a new thread; resolves with the model's files and the summary.
 * @throws the cancellation's reason; DeadlineExceededError naming the budget spent and the
 *   epochs done; the thread's own error (its family kept); InternalError when it crashed.
 */
export function trainOffThread(
  training: OffThreadTraining,
): Promise<{ files: Record<string, Uint8Array>; training: TrainingSummary }> {
  const { params, budget, now } = training;
  const started = now();
  // A budget already spent starts no thread.
  const reason = budget?.cancellation?.cancelReason;
  if (reason) return Promise.reject(reason);
  if (budget?.deadlineMs !== undefined && started > budget.deadlineMs) {
    return Promise.reject(
      new DeadlineExceededError(
        `autoencoder training: the fit's deadline passed with 0 of ${params.epochs} epochs done after 0.0 s; nothing is saved`,
      ),
    );
  }
  const init: TrainingThreadInit = {
    x: training.x,
    rows: training.rows,
    features: training.features,
    params,
    device: training.device,
    gpuDetected: training.gpuDetected,
    progressIntervalMs: AUTOENCODER_PROGRESS_INTERVAL_MS,
  };
  const worker = new Worker(threadEntry(), {
    workerData: init,
    transferList: [training.x.buffer as ArrayBuffer],
  });
  training.onThread?.(worker);
  return new Promise((resolve, reject) => {
    let settled = false;
    let backend: string | undefined;
    let last: { epoch: number; loss: number } = { epoch: 0, loss: Number.NaN };
    let lastReportAt = 0;
    const seconds = () => (now() - started) / 1000;
    const report = () => {
      if (backend === undefined || training.onProgress === undefined) return;
      lastReportAt = now();
      try {
        training.onProgress({
          epoch: last.epoch,
          epochs: params.epochs,
          loss: last.loss,
          elapsedSeconds: seconds(),
          backend,
        });
      } catch {
        // The caller's listener failed (e.g. its stream closed); the fit goes on regardless.
      }
    };
    const heartbeat = setInterval(() => {
      if (now() - lastReportAt >= AUTOENCODER_PROGRESS_INTERVAL_MS) report();
    }, AUTOENCODER_PROGRESS_INTERVAL_MS);
    const spent = (what: string, hint = '') =>
      new DeadlineExceededError(
        `autoencoder training: ${what} with ${last.epoch} of ${params.epochs} epochs done after ${seconds().toFixed(1)} s; nothing is saved${hint}`,
      );
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(heartbeat);
      clearTimeout(deadline);
      stopListening();
      // Terminate first and settle once the thread is gone: nothing outlives the fit.
      void worker.terminate().finally(outcome);
    };
    const fail = (error: Error) => finish(() => reject(error));

    const budgetMs = params.maxTrainingSeconds * 1000;
    const fitDeadlineFirst = budget?.deadlineMs !== undefined && budget.deadlineMs <= started + budgetMs;
    const deadlineAt = fitDeadlineFirst ? budget!.deadlineMs! : started + budgetMs;
    const onDeadline = () =>
      fail(
        spent(
          fitDeadlineFirst
            ? "the fit's deadline passed"
            : `${autoencoderField('maxTrainingSeconds')} (${params.maxTrainingSeconds} s) was spent`,
          fitDeadlineFirst ? '' : ' (raise it or lower epochs)',
        ),
      );
    const deadline = setTimeout(onDeadline, Math.max(0, deadlineAt - now()));
    const stopListening =
      budget?.cancellation?.onCancel(() => fail(budget.cancellation!.cancelReason!)) ?? (() => {});

    worker.on('message', (message: FromTrainingThread) => {
      switch (message.type) {
        case 'log':
          training.logger[message.level](message.fields as Record<string, unknown>, message.message);
          return;
        case 'ready':
          backend = message.backend;
          lastReportAt = now();
          return;
        case 'progress':
          last = { epoch: message.epoch, loss: message.loss };
          report();
          return;
        case 'done':
          finish(() => resolve({ files: message.files, training: message.training }));
          return;
        case 'failed': {
          const status = message.code === undefined ? -1 : GRPC_STATUS_NAMES.indexOf(message.code);
          fail(
            status > 0 && message.code !== 'INTERNAL' && message.code !== 'UNKNOWN'
              ? errorFromStatus(status, message.message)
              : new InternalError(`autoencoder training failed: ${message.message}`),
          );
          return;
        }
      }
    });
    worker.on('error', (error) =>
      fail(new InternalError(`autoencoder training thread crashed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) =>
      fail(new InternalError(`autoencoder training thread exited with code ${code} before it finished`)),
    );
  });
}
