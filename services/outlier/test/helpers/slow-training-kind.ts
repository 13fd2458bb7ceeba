/**
 * A kind double standing for the autoencoder in tests of the service's machinery: it
 * "trains" epoch after epoch, yielding to the event loop, reports progress, and stops with
 * DeadlineExceededError naming the budget and the epochs done once its budget is spent, as
 * the real kind does. Scores are the squared distance to the reference mean.
 */
import {
  type DetectorKind,
  type KindCatalogue,
  type OutlierScores,
  outlierKinds,
  toRowMajor,
} from '@sightline/detect';
import { DeadlineExceededError } from '@sightline/errors';

/** The double: `msPerEpoch` of waiting per epoch. */
export function slowTrainingKind(msPerEpoch: number): DetectorKind<OutlierScores> {
  const kind: DetectorKind<OutlierScores> = {
    name: 'autoencoder',
    minReferenceRows: 2,
    fit: () => {
      throw new Error('the slow kind trains with fitAsync');
    },
    fitAsync: async (reference, params = {}, options = {}) => {
      const epochs = typeof params.epochs === 'number' ? params.epochs : 5;
      const started = Date.now();
      for (let epoch = 1; epoch <= epochs; epoch++) {
        await new Promise((resolve) => setTimeout(resolve, msPerEpoch));
        // As the real kind: its own clock against the budget the service filled in.
        const deadline =
          typeof params.maxTrainingSeconds === 'number'
            ? started + params.maxTrainingSeconds * 1000
            : undefined;
        if (deadline !== undefined && Date.now() > deadline) {
          throw new DeadlineExceededError(
            `training stopped after ${epoch - 1} of ${epochs} epochs: past its budget of ${params.maxTrainingSeconds} s (config.autoencoder.max_training_seconds)`,
          );
        }
        options.onProgress?.({
          epoch,
          epochs,
          loss: 1 / epoch,
          elapsedSeconds: (Date.now() - started) / 1000,
          backend: 'tfjs-cpu',
        });
      }
      const values = toRowMajor(reference);
      const width = reference.names.length;
      const mean = new Float64Array(width);
      for (let r = 0; r < reference.rows; r++)
        for (let c = 0; c < width; c++) mean[c]! += values[r * width + c]! / reference.rows;
      return {
        kind: 'autoencoder',
        params: { ...params, epochs, seed: 1 },
        schema: { names: reference.names, kinds: reference.kinds, dictionaries: reference.dictionaries },
        referenceRows: reference.rows,
        json: {},
        arrays: { mean },
      };
    },
    score: (state, table) => {
      const values = toRowMajor(table);
      const width = table.names.length;
      const mean = state.arrays.mean!;
      const instanceScores = new Float64Array(table.rows);
      const featureScores = new Float64Array(table.rows * width);
      for (let r = 0; r < table.rows; r++) {
        for (let c = 0; c < width; c++) {
          const d = (values[r * width + c]! - mean[c]!) ** 2;
          featureScores[r * width + c] = d;
          instanceScores[r]! += d / width;
        }
      }
      return { instanceScores, featureScores };
    },
  };
  return kind;
}

/** libs/detect's outlier kinds with the autoencoder replaced by {@link slowTrainingKind}. */
export function kindsWithSlowTraining(msPerEpoch: number): KindCatalogue<OutlierScores> {
  const slow = slowTrainingKind(msPerEpoch);
  return { get: (name) => (name === 'autoencoder' ? slow : outlierKinds.get(name)) };
}
