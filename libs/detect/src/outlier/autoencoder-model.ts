/**
 * The autoencoder's network and its saved form. A dense encoder narrowing to the code and
 * a mirrored decoder (ReLU hidden layers, linear output), as Alibi Detect's OutlierAE
 * examples build for tabular data. Saved in TF.js's layers format, `model.json` whose
 * weightsManifest names one `weights.bin`, so TF.js (`tf.loadLayersModel`) and its converter
 * read it as they read any TF.js model.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { TfjsModule } from '@sightline/tfjs';
import type { io, LayersModel } from '@tensorflow/tfjs';

/** The model file of a fitted autoencoder's saved files. */
export const AUTOENCODER_MODEL_FILE = 'model.json';
/** The weights file, the one shard model.json's weightsManifest names. */
export const AUTOENCODER_WEIGHTS_FILE = 'weights.bin';

/** Seeds of the random weight initialisers, one per dense layer, from the fit's seed. */
export type LayerSeeds = () => number;

/**
 * The dense autoencoder for `features` inputs: encoder layers of `hiddenUnits` (the last is
 * the code), the decoder mirroring them, then a linear layer back to `features`. Kernels are
 * Glorot-uniform (Keras's default) with a seed each, biases zero, so a seed fixes the start.
 */
export function buildAutoencoder(
  tf: TfjsModule,
  features: number,
  hiddenUnits: readonly number[],
  seeds: LayerSeeds,
): LayersModel {
  const units = [...hiddenUnits, ...hiddenUnits.slice(0, -1).reverse()];
  const kernel = () => tf.initializers.glorotUniform({ seed: seeds() });
  const model = tf.sequential();
  units.forEach((n, i) => {
    model.add(
      tf.layers.dense({
        units: n,
        activation: 'relu',
        kernelInitializer: kernel(),
        ...(i === 0 ? { inputShape: [features] } : {}),
      }),
    );
  });
  model.add(tf.layers.dense({ units: features, activation: 'linear', kernelInitializer: kernel() }));
  return model;
}

/** The weight data as one buffer (TF.js may hand it over in parts). */
function joinWeightData(tf: TfjsModule, data: io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** `model` in TF.js's layers format: `model.json` and `weights.bin`. */
export async function saveAutoencoder(
  tf: TfjsModule,
  model: LayersModel,
): Promise<Record<string, Uint8Array>> {
  let files: Record<string, Uint8Array> | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinWeightData(tf, artifacts.weightData);
      const modelJson: io.ModelJSON = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [AUTOENCODER_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      files = {
        [AUTOENCODER_MODEL_FILE]: new TextEncoder().encode(`${JSON.stringify(modelJson)}\n`),
        [AUTOENCODER_WEIGHTS_FILE]: weights,
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (files === undefined) throw new Error('TF.js saved the autoencoder without calling its save handler');
  return files;
}

function unreadable(rule: string): InvalidArgumentError {
  return new InvalidArgumentError(`the saved autoencoder is unreadable: ${rule}`);
}

/**
 * The model saved by {@link saveAutoencoder}, rebuilt from its files.
 * @throws InvalidArgumentError when a file is missing or malformed, or the model does not map
 *   `features` inputs to `features` outputs.
 */
export async function loadAutoencoder(
  tf: TfjsModule,
  files: Readonly<Record<string, Uint8Array>> | undefined,
  features: number,
): Promise<LayersModel> {
  const modelFile = files?.[AUTOENCODER_MODEL_FILE];
  const weights = files?.[AUTOENCODER_WEIGHTS_FILE];
  if (modelFile === undefined || weights === undefined) {
    throw unreadable(`it needs the files ${AUTOENCODER_MODEL_FILE} and ${AUTOENCODER_WEIGHTS_FILE}`);
  }
  let modelJson: io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(modelFile)) as io.ModelJSON;
  } catch (error) {
    throw unreadable(`${AUTOENCODER_MODEL_FILE} is not JSON (${(error as Error).message})`);
  }
  const manifest = modelJson?.weightsManifest;
  if (
    !Array.isArray(manifest) ||
    manifest.length !== 1 ||
    manifest[0]?.paths?.length !== 1 ||
    manifest[0].paths[0] !== AUTOENCODER_WEIGHTS_FILE
  ) {
    throw unreadable(
      `${AUTOENCODER_MODEL_FILE}'s weightsManifest must name the one shard ${AUTOENCODER_WEIGHTS_FILE}`,
    );
  }
  // A copy that owns its bytes: TF.js reads the weights as an ArrayBuffer from offset 0.
  const weightData = weights.slice().buffer;
  let model: LayersModel;
  try {
    const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (entries) => [
      entries.flatMap((group) => group.weights),
      weightData,
    ]);
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw unreadable(`TF.js cannot load it (${(error as Error).message})`);
  }
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  if (
    model.inputs.length !== 1 ||
    model.outputs.length !== 1 ||
    input?.[1] !== features ||
    output?.[1] !== features
  ) {
    model.dispose();
    throw unreadable(
      `the model maps ${JSON.stringify(input)} to ${JSON.stringify(output)}, expected [null, ${features}] to [null, ${features}]`,
    );
  }
  return model;
}
