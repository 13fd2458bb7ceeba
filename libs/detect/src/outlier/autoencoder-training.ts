/**
 * The autoencoder's training loop, as its training thread runs it: builds the seeded model
 * and trains it with Adam on the mean squared error, batch by batch. It blocks the thread it
 * runs on for a whole step, which is why the kind runs it on its own thread.
 */
import { seededRandom } from '@sightline/stats';
import type { TfjsModule } from '@sightline/tfjs';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { buildAutoencoder, saveAutoencoder } from './autoencoder-model.js';
import type { AutoencoderParams } from './autoencoder-params.js';
import type { TrainingSummary } from './autoencoder-thread-protocol.js';

/** Largest seed handed to TF.js's initialisers (seedrandom takes any number; 31 bits is plenty). */
const INITIALISER_SEED_RANGE = 2 ** 31;

/** Where a training stands, as {@link trainAutoencoder} reports it. */
export interface TrainingStep {
  /** Epochs finished. */
  readonly epoch: number;
  /** Mean loss over the rows seen in the current epoch (the whole epoch at its end). */
  readonly loss: number;
  /** True within an epoch, false at its end. */
  readonly partial: boolean;
}

/** What {@link trainAutoencoder} trains on and how it reports. */
export interface TrainingInput {
  readonly tf: TfjsModule;
  readonly backend: string;
  /** Standardised rows, row-major. */
  readonly x: Float32Array;
  readonly rows: number;
  readonly features: number;
  readonly params: AutoencoderParams;
  /** Least milliseconds between two reports within an epoch. */
  readonly progressIntervalMs: number;
  readonly report: (step: TrainingStep) => void;
}

/**
 * Trains the autoencoder and returns its saved files and summary. One generator seeded by
 * `params.seed` draws every initialiser seed and every epoch's shuffle, so a seed fixes the
 * weights on a given backend.
 */
export async function trainAutoencoder(
  input: TrainingInput,
): Promise<{ files: Record<string, Uint8Array>; training: TrainingSummary }> {
  const { tf, params, rows, features } = input;
  const started = Date.now();
  const random = seededRandom(params.seed);
  const model = buildAutoencoder(tf, features, params.hiddenUnits, () =>
    random.nextInt(INITIALISER_SEED_RANGE),
  );
  const variables = model.trainableWeights.map((w) => w.read() as Variable);
  const optimizer = tf.train.adam(params.learningRate);
  const x = tf.tensor2d(input.x, [rows, features], 'float32');
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  let loss = Number.NaN;
  let lastReport = Date.now();
  try {
    for (let epoch = 0; epoch < params.epochs; epoch++) {
      random.shuffle(order);
      let lossSum = 0;
      for (let start = 0; start < rows; start += params.batchSize) {
        const end = Math.min(rows, start + params.batchSize);
        const cost = tf.tidy((): Scalar => {
          const batch = tf.gather(x, tf.tensor1d(order.subarray(start, end), 'int32'));
          const batchLoss = optimizer.minimize(
            () =>
              tf.losses.meanSquaredError(batch, model.apply(batch, { training: true }) as Tensor) as Scalar,
            true,
            variables,
          );
          // Never null: minimize returns the cost when asked to (returnCost true).
          return batchLoss!;
        });
        lossSum += (await cost.data())[0]! * (end - start);
        cost.dispose();
        if (end < rows && Date.now() - lastReport >= input.progressIntervalMs) {
          lastReport = Date.now();
          input.report({ epoch, loss: lossSum / end, partial: true });
        }
      }
      loss = lossSum / rows;
      lastReport = Date.now();
      input.report({ epoch: epoch + 1, loss, partial: false });
    }
    const files = await saveAutoencoder(tf, model);
    return {
      files,
      training: {
        epochs: params.epochs,
        finalLoss: loss,
        seconds: (Date.now() - started) / 1000,
        backend: input.backend,
      },
    };
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
