/**
 * The messages between the autoencoder kind (the service's event loop) and its training
 * thread (autoencoder-thread.ts). Plain data only: they cross `postMessage`.
 */
import type { TfjsDevice } from '@sightline/tfjs';
import type { AutoencoderParams } from './autoencoder-params.js';

/** What the thread is started with (its `workerData`). */
export interface TrainingThreadInit {
  /** Reference rows, standardised and clipped, row-major (its buffer is transferred). */
  readonly x: Float32Array;
  readonly rows: number;
  readonly features: number;
  readonly params: AutoencoderParams;
  /** The backend rules, as the kind's own selection applies them. */
  readonly device: TfjsDevice;
  readonly gpuDetected: boolean;
  /** Least milliseconds between two progress messages within an epoch. */
  readonly progressIntervalMs: number;
}

/** The summary saved as the state's `json.training`. */
export interface TrainingSummary {
  readonly epochs: number;
  readonly finalLoss: number;
  /** Seconds from the first step to the saved model (backend selection excluded). */
  readonly seconds: number;
  readonly backend: string;
}

/** A message from the thread. */
export type FromTrainingThread =
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn';
      readonly fields: object;
      readonly message: string;
    }
  /** The backend is selected; training starts. */
  | { readonly type: 'ready'; readonly backend: string }
  /**
   * Progress: after each epoch, and within a long epoch after a batch once
   * `progressIntervalMs` passed since the last message. `epoch` counts finished epochs;
   * `loss` is the mean over the rows seen in the current epoch (the finished epoch's mean
   * at an epoch's end); `partial` marks a message within an epoch.
   */
  | {
      readonly type: 'progress';
      readonly epoch: number;
      readonly loss: number;
      readonly partial: boolean;
    }
  | {
      readonly type: 'done';
      readonly files: Record<string, Uint8Array>;
      readonly training: TrainingSummary;
    }
  /** Training failed: the error's family code (`INVALID_ARGUMENT`, or undefined) and message. */
  | { readonly type: 'failed'; readonly code: string | undefined; readonly message: string };
