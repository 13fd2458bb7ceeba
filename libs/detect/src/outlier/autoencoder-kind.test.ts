import { execFileSync } from 'node:child_process';
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
} from '@sightline/errors';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lowRankWithOutliers, numericSchema } from '../../test/planted-outliers.js';
import type { FitProgress, FittedState } from '../kinds/detector-kind.js';
import { type FeatureTable, fromRowMajor } from '../table/feature-table.js';
import { AUTOENCODER_SCORE_BATCH_ROWS, autoencoderKind, createAutoencoderKind } from './autoencoder-kind.js';
import { AUTOENCODER_MODEL_FILE, AUTOENCODER_WEIGHTS_FILE } from './autoencoder-model.js';

const data = lowRankWithOutliers(7, { referenceRows: 200, testInliers: 40, testOutliers: 10 });
/** Few epochs: these tests check the mechanics, the fidelity test the quality. */
const quick = { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 11 };

const BACKEND_LABELS = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];

function textOf(bytes: Uint8Array | undefined): string {
  return new TextDecoder().decode(bytes);
}

/** A copy of `state` as the store reads it back: new objects, the same bytes. */
function reloaded(state: FittedState): FittedState {
  return structuredClone(state);
}

describe('autoencoder parameters', () => {
  it('writes every default out, the hidden layers from the feature count, and saves a drawn seed', async () => {
    const kind = createAutoencoderKind({ seeds: () => 1234 });
    const state = await kind.fitAsync!(data.reference, { epochs: 1 });
    expect(state.params).toEqual({
      hiddenUnits: [4, 2],
      epochs: 1,
      batchSize: 64,
      learningRate: 0.001,
      seed: 1234,
      maxTrainingSeconds: 600,
    });
    // The contract's repeated field sends an empty list when unset: the default too.
    const empty = await kind.fitAsync!(data.reference, { epochs: 1, hiddenUnits: [] });
    expect(empty.params.hiddenUnits).toEqual([4, 2]);
  });

  it.each([
    [
      { epochs: 0 },
      /^config\.autoencoder\.epochs must be in \[1, 10000\], got 0 \(rule "autoencoder\.epochs_range"\)$/,
    ],
    [{ batchSize: 1.5 }, /^config\.autoencoder\.batch_size must be an integer, got 1\.5/],
    [{ learningRate: 0 }, /^config\.autoencoder\.learning_rate must be in \(0, 1\]/],
    [{ maxTrainingSeconds: -1 }, /^config\.autoencoder\.max_training_seconds must be in \(0, inf\)/],
    [{ seed: -3 }, /^config\.autoencoder\.seed must be in \[0, 4294967295\]/],
    [
      { hiddenUnits: [4, 0] },
      /^config\.autoencoder\.hidden_units must be 1 to 8 layers of 1 to 4096 units each, got \[4,0\] \(rule "autoencoder\.hidden_units_range"\)$/,
    ],
    [{ hiddenUnits: Array(9).fill(2) }, /hidden_units must be 1 to 8 layers/],
    [
      { hiddenUnits: Array(8).fill(4096) },
      /^config\.autoencoder\.hidden_units \[4096,4096,4096,4096,4096,4096,4096,4096\] on 8 features makes 235008008 trainable parameters; at most 50000000 are allowed \(rule "autoencoder\.max_parameters"\)$/,
    ],
    [{ layers: 3 }, /^config\.autoencoder\.layers is not a parameter of this kind/],
  ])('refuses %j, naming the contract field and the rule', async (params, message) => {
    const fit = autoencoderKind.fitAsync!(data.reference, params);
    await expect(fit).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(fit).rejects.toThrow(message);
  });

  it('refuses a reference it cannot train on, and the synchronous fit, saying what to call', async () => {
    const oneRow = fromRowMajor(numericSchema(2), Float64Array.of(1, 2), 1);
    await expect(autoencoderKind.fitAsync!(oneRow, quick)).rejects.toThrow(/at least 2 rows, got 1/);
    const nan = fromRowMajor(numericSchema(2), Float64Array.of(1, 2, Number.NaN, 4), 2);
    await expect(autoencoderKind.fitAsync!(nan, quick)).rejects.toThrow(
      /column "x0", row 1: NaN is not allowed/,
    );
    expect(() => autoencoderKind.fit(data.reference)).toThrow(FailedPreconditionError);
    expect(() => autoencoderKind.fit(data.reference)).toThrow(/call fitAsync/);
  });
});

describe('autoencoder fit', () => {
  it('saves the standardisation, a training summary and the model in TF.js format', async () => {
    // Column x1 is constant: its deviation is 1, so it standardises to 0.
    const rows = 50;
    const values = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) values.set([r, 0.1, (r % 7) - 3], r * 3);
    const table = fromRowMajor(numericSchema(3), values, rows);
    const progress: FitProgress[] = [];
    const state = await autoencoderKind.fitAsync!(table, quick, { onProgress: (p) => progress.push(p) });

    const standardisation = state.json.standardisation as { mean: number[]; std: number[] };
    expect(standardisation.mean[0]).toBeCloseTo(24.5, 12);
    expect(standardisation.std[0]).toBeCloseTo(Math.sqrt((rows * rows - 1) / 12), 12); // ddof 0
    expect(standardisation.mean[1]).toBe(0.1);
    expect(standardisation.std[1]).toBe(1);

    const training = state.json.training as {
      epochs: number;
      finalLoss: number;
      seconds: number;
      backend: string;
    };
    expect(training.epochs).toBe(3);
    expect(training.finalLoss).toBe(progress.at(-1)!.loss);
    expect(training.seconds).toBeGreaterThanOrEqual(0);
    expect(BACKEND_LABELS).toContain(training.backend);

    // Every epoch's end is reported (a slow machine may add reports within an epoch).
    expect(new Set(progress.map((p) => p.epoch))).toEqual(new Set([1, 2, 3]));
    expect(progress.at(-1)).toMatchObject({ epoch: 3, epochs: 3 });
    for (const p of progress) {
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.backend).toBe(training.backend);
    }

    expect(Object.keys(state.files ?? {}).sort()).toEqual([AUTOENCODER_MODEL_FILE, AUTOENCODER_WEIGHTS_FILE]);
    const modelJson = JSON.parse(textOf(state.files![AUTOENCODER_MODEL_FILE])) as {
      format: string;
      weightsManifest: { paths: string[]; weights: { shape: number[] }[] }[];
    };
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest).toHaveLength(1);
    expect(modelJson.weightsManifest[0]!.paths).toEqual([AUTOENCODER_WEIGHTS_FILE]);
    // Encoder 3 -> 2 -> 1, decoder 1 -> 2 -> 3: kernels and biases, float32.
    const shapes = modelJson.weightsManifest[0]!.weights.map((w) => w.shape);
    expect(shapes).toEqual([[3, 2], [2], [2, 1], [1], [1, 2], [2], [2, 3], [3]]);
    const weightCount = shapes.reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
    expect(state.files![AUTOENCODER_WEIGHTS_FILE]!.length).toBe(4 * weightCount);

    // TF.js itself reads the saved model back.
    const artifacts = await tf.io.getModelArtifactsForJSON(
      modelJson as unknown as tf.io.ModelJSON,
      async (manifest) => [
        manifest[0]!.weights as tf.io.WeightsManifestEntry[],
        state.files![AUTOENCODER_WEIGHTS_FILE]!.slice().buffer,
      ],
    );
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
  });

  it('repeats a fit exactly with the same seed, and differs with another', async () => {
    const first = await createAutoencoderKind().fitAsync!(data.reference, quick);
    const second = await createAutoencoderKind().fitAsync!(data.reference, quick);
    const other = await createAutoencoderKind().fitAsync!(data.reference, { ...quick, seed: 12 });
    expect(second.files![AUTOENCODER_WEIGHTS_FILE]).toEqual(first.files![AUTOENCODER_WEIGHTS_FILE]);
    expect(second.json.training).toMatchObject({
      finalLoss: (first.json.training as { finalLoss: number }).finalLoss,
    });
    expect(other.files![AUTOENCODER_WEIGHTS_FILE]).not.toEqual(first.files![AUTOENCODER_WEIGHTS_FILE]);
  }, 120_000);

  it("stops at the fit's deadline or cancellation", async () => {
    const spent = autoencoderKind.fitAsync!(data.reference, quick, {
      budget: { deadlineMs: Date.now() - 1 },
    });
    await expect(spent).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(spent).rejects.toThrow(/the fit's deadline passed with 0 of 3 epochs done/);

    const reason = new CancelledError('the client cancelled the fit');
    const cancelled = autoencoderKind.fitAsync!(data.reference, quick, {
      budget: { cancellation: { cancelReason: reason, onCancel: () => () => {} } },
    });
    await expect(cancelled).rejects.toBe(reason);
  });

  it('goes on when a progress listener throws', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick, {
      onProgress: () => {
        throw new Error('the stream closed');
      },
    });
    expect((state.json.training as { epochs: number }).epochs).toBe(3);
  });
});

describe('autoencoder score', () => {
  it('scores each row by its mean squared standardised error and each feature by its squared error', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick);
    const scores = autoencoderKind.score(state, data.test);
    const cols = data.test.columns.length;
    expect(scores.instanceScores).toHaveLength(data.test.rows);
    expect(scores.featureScores).toHaveLength(data.test.rows * cols);
    for (let r = 0; r < data.test.rows; r++) {
      const row = scores.featureScores!.subarray(r * cols, (r + 1) * cols);
      expect(row.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
      expect(scores.instanceScores[r]).toBeCloseTo(row.reduce((a, b) => a + b, 0) / cols, 12);
    }

    // The squared errors, recomputed through TF.js from the saved model.
    const standardisation = state.json.standardisation as { mean: number[]; std: number[] };
    const first = Array.from(
      { length: cols },
      (_, c) => (data.test.columns[c]![0]! - standardisation.mean[c]!) / standardisation.std[c]!,
    );
    const model = await tf.loadLayersModel(
      tf.io.fromMemory(
        await tf.io.getModelArtifactsForJSON(
          JSON.parse(textOf(state.files![AUTOENCODER_MODEL_FILE])) as tf.io.ModelJSON,
          async (manifest) => [manifest[0]!.weights, state.files![AUTOENCODER_WEIGHTS_FILE]!.slice().buffer],
        ),
      ),
    );
    const reconstruction = tf.tidy(() => (model.predict(tf.tensor2d([first])) as tf.Tensor).dataSync());
    model.dispose();
    for (let c = 0; c < cols; c++) {
      expect(scores.featureScores![c]).toBeCloseTo((reconstruction[c]! - Math.fround(first[c]!)) ** 2, 5);
    }
  });

  it('scores the same from the saved files as the fitted model does, once prepared', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick);
    const fresh = createAutoencoderKind();
    const loaded = reloaded(state);
    expect(() => fresh.score(loaded, data.test)).toThrow(FailedPreconditionError);
    expect(() => fresh.score(loaded, data.test)).toThrow(/call prepare\(state\) first/);
    const prepared = await fresh.prepare!(loaded);
    expect(fresh.score(prepared, data.test)).toEqual(autoencoderKind.score(state, data.test));
  });

  it('scores many rows in batches without leaking tensors', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick);
    const rows = AUTOENCODER_SCORE_BATCH_ROWS + 123;
    const big: FeatureTable = {
      ...data.test,
      columns: data.test.columns.map((column) =>
        Float64Array.from({ length: rows }, (_, r) => column[r % column.length]!),
      ),
      rows,
    };
    autoencoderKind.score(state, big); // warm: TF.js keeps a few tensors of its own after the first call
    const before = tf.memory().numTensors;
    const scores = autoencoderKind.score(state, big);
    expect(tf.memory().numTensors).toBe(before);
    const small = autoencoderKind.score(state, data.test);
    expect(tf.memory().numTensors).toBe(before);
    // Rows past the first batch score as the same rows inside it.
    expect(scores.instanceScores[AUTOENCODER_SCORE_BATCH_ROWS + 3]).toBeCloseTo(
      small.instanceScores[(AUTOENCODER_SCORE_BATCH_ROWS + 3) % data.test.rows]!,
      6,
    );
  });

  it('gives extreme values a finite, extreme score', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick);
    const table: FeatureTable = {
      ...data.test,
      columns: data.test.columns.map((c, j) => (j === 0 ? c.map(() => 1e200) : c)),
    };
    const scores = autoencoderKind.score(state, table);
    expect(scores.instanceScores.every((v) => Number.isFinite(v) && v > 1e20)).toBe(true);
  });

  it('refuses a table of other columns and a corrupt saved model, saying what is wrong', async () => {
    const state = await autoencoderKind.fitAsync!(data.reference, quick);
    const narrow = fromRowMajor(numericSchema(2), Float64Array.of(1, 2), 1);
    expect(() => autoencoderKind.score(state, narrow)).toThrow(InvalidArgumentError);

    const broken = {
      ...reloaded(state),
      files: { ...state.files, [AUTOENCODER_MODEL_FILE]: new Uint8Array([123]) },
    };
    await expect(createAutoencoderKind().prepare!(broken)).rejects.toThrow(/model\.json is not JSON/);
    const missing = {
      ...reloaded(state),
      files: { [AUTOENCODER_MODEL_FILE]: state.files![AUTOENCODER_MODEL_FILE]! },
    };
    await expect(createAutoencoderKind().prepare!(missing)).rejects.toThrow(
      /needs the files model\.json and weights\.bin/,
    );
    const short = {
      ...reloaded(state),
      files: {
        ...state.files,
        [AUTOENCODER_WEIGHTS_FILE]: state.files![AUTOENCODER_WEIGHTS_FILE]!.slice(0, 8),
      },
    };
    await expect(createAutoencoderKind().prepare!(short)).rejects.toThrow(/TF\.js cannot load it/);
  });
});

describe('loading @sightline/detect', () => {
  it('does not load TF.js (the drift service never needs it)', () => {
    // tfjs-core keeps its engine in globalThis._tfengine from the moment it is imported.
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "await import('@sightline/detect'); console.log(JSON.stringify({ engine: typeof globalThis._tfengine }));",
      ],
      { cwd: new URL('../..', import.meta.url), encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ engine: 'undefined' });
  });
});
