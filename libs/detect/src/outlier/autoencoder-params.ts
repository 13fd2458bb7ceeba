/**
 * The autoencoder kind's parameters: the camelCase of the contract's AutoencoderConfig
 * fields, read once with every default written out. Errors name the contract's field
 * (`config.autoencoder.epochs`) and the rule, as the outlier service reports them.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { JsonObject } from '../kinds/detector-kind.js';
import { drawSeed, MAX_SEED } from '../kinds/multivariate-kinds.js';
import { ParamReader } from '../kinds/param-reader.js';

/** Passes over the reference by default (AutoencoderConfig.epochs). */
export const DEFAULT_AUTOENCODER_EPOCHS = 50;
/** Most epochs a fit may ask for. */
export const MAX_AUTOENCODER_EPOCHS = 10_000;
/** Rows per gradient step by default (AutoencoderConfig.batch_size). */
export const DEFAULT_AUTOENCODER_BATCH_SIZE = 64;
/** Largest batch. */
export const MAX_AUTOENCODER_BATCH_SIZE = 65_536;
/** Adam's learning rate by default (Keras's, which Alibi's OutlierAE trains with). */
export const DEFAULT_AUTOENCODER_LEARNING_RATE = 0.001;
/** The training's time budget by default, in seconds; the service's flag bounds it further. */
export const DEFAULT_AUTOENCODER_MAX_TRAINING_SECONDS = 600;
/** Most units in one hidden layer. */
export const MAX_AUTOENCODER_HIDDEN_UNITS = 4096;
/** Most hidden layers in the encoder (the decoder mirrors them). */
export const MAX_AUTOENCODER_HIDDEN_LAYERS = 8;
/**
 * Most trainable parameters (weights and biases) in the whole network. Training holds about
 * four float32 copies of them (weights, gradients, Adam's two moments): 50 million is about
 * 0.8 GB. 8 layers of 4,096 units (the encoder; the decoder mirrors 7 of them) make about 235 million.
 */
export const MAX_AUTOENCODER_PARAMETERS = 50_000_000;

/**
 * Trainable parameters of the autoencoder for `features` inputs: every dense layer's kernel
 * and bias, encoder `hiddenUnits`, mirrored decoder, then the output layer.
 */
export function autoencoderParameterCount(features: number, hiddenUnits: readonly number[]): number {
  const widths = [features, ...hiddenUnits, ...hiddenUnits.slice(0, -1).reverse(), features];
  let count = 0;
  for (let i = 1; i < widths.length; i++) count += widths[i - 1]! * widths[i]! + widths[i]!;
  return count;
}

/** The parameters as a fit resolves them (the fitted state's `params`). */
export interface AutoencoderParams {
  /** Units of the encoder's hidden layers, outermost first; the last is the code size. */
  readonly hiddenUnits: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seeds the weight initialisation and the shuffling; drawn and saved when not given. */
  readonly seed: number;
  readonly maxTrainingSeconds: number;
}

const FIELDS = ['hiddenUnits', 'epochs', 'batchSize', 'learningRate', 'seed', 'maxTrainingSeconds'];

/** `hiddenUnits` -> `hidden_units`, the contract's spelling. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The contract's field of parameter `key`. */
export function autoencoderField(key: string): string {
  return `config.autoencoder.${snakeCase(key)}`;
}

/** ParamReader whose errors name the contract's fields and the rule. */
class AutoencoderParamReader extends ParamReader {
  override error(key: string, rule: string): InvalidArgumentError {
    const field = autoencoderField(key);
    const ruleName = FIELDS.includes(key)
      ? `autoencoder.${snakeCase(key)}_range`
      : 'autoencoder.known_fields';
    return new InvalidArgumentError(`${field} ${rule} (rule "${ruleName}")`, { field });
  }
}

/**
 * The default hidden layers for `features` inputs: `[max(2, ceil(f / 2)), max(1, ceil(f / 4))]`,
 * a funnel to a code of about a quarter of the features.
 */
export function defaultHiddenUnits(features: number): number[] {
  return [Math.max(2, Math.ceil(features / 2)), Math.max(1, Math.ceil(features / 4))];
}

/**
 * Reads the parameters of a fit on `features` columns; `seeds` draws the seed when none is
 * given (it is then saved with the detector, so the fit can be repeated).
 * @throws InvalidArgumentError naming `config.autoencoder.<field>` and the rule.
 */
export function readAutoencoderParams(
  raw: Readonly<Record<string, unknown>>,
  features: number,
  seeds: () => number = drawSeed,
): AutoencoderParams {
  const r = new AutoencoderParamReader('autoencoder', raw, FIELDS);
  const given = raw.hiddenUnits;
  // The contract's repeated field cannot tell unset from empty: both mean the default.
  const hiddenUnits =
    given === undefined || given === null || (Array.isArray(given) && given.length === 0)
      ? defaultHiddenUnits(features)
      : given;
  if (
    !Array.isArray(hiddenUnits) ||
    hiddenUnits.length > MAX_AUTOENCODER_HIDDEN_LAYERS ||
    !hiddenUnits.every((u) => Number.isInteger(u) && u >= 1 && u <= MAX_AUTOENCODER_HIDDEN_UNITS)
  ) {
    throw r.error(
      'hiddenUnits',
      `must be 1 to ${MAX_AUTOENCODER_HIDDEN_LAYERS} layers of 1 to ${MAX_AUTOENCODER_HIDDEN_UNITS} units each, got ${JSON.stringify(hiddenUnits)}`,
    );
  }
  const parameters = autoencoderParameterCount(features, hiddenUnits as number[]);
  if (parameters > MAX_AUTOENCODER_PARAMETERS) {
    throw new InvalidArgumentError(
      `${autoencoderField('hiddenUnits')} ${JSON.stringify(hiddenUnits)} on ${features} features makes ${parameters} trainable parameters; at most ${MAX_AUTOENCODER_PARAMETERS} are allowed (rule "autoencoder.max_parameters")`,
      { field: autoencoderField('hiddenUnits') },
    );
  }
  const epochs = r.number('epochs', DEFAULT_AUTOENCODER_EPOCHS, {
    min: 1,
    max: MAX_AUTOENCODER_EPOCHS,
    integer: true,
  });
  const batchSize = r.number('batchSize', DEFAULT_AUTOENCODER_BATCH_SIZE, {
    min: 1,
    max: MAX_AUTOENCODER_BATCH_SIZE,
    integer: true,
  });
  const learningRate = r.number('learningRate', DEFAULT_AUTOENCODER_LEARNING_RATE, {
    min: 0,
    max: 1,
    exclusiveMin: true,
  });
  const unset = raw.seed === undefined || raw.seed === null;
  const seed = r.number('seed', unset ? seeds() : 0, { min: 0, max: MAX_SEED, integer: true });
  const maxTrainingSeconds = r.number('maxTrainingSeconds', DEFAULT_AUTOENCODER_MAX_TRAINING_SECONDS, {
    min: 0,
    exclusiveMin: true,
  });
  return {
    hiddenUnits: [...(hiddenUnits as number[])],
    epochs,
    batchSize,
    learningRate,
    seed,
    maxTrainingSeconds,
  };
}

/** `params` as the fitted state's JSON. */
export function autoencoderParamsJson(params: AutoencoderParams): JsonObject {
  return { ...params, hiddenUnits: [...params.hiddenUnits] };
}
