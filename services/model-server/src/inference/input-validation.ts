/**
 * Checks a decoded request against the model version it will run on: every input given
 * once and matching its signature, one batch size across inputs within max_batch_size,
 * and only outputs the model has. Each rule breaks with an INVALID_ARGUMENT sentence that
 * names the tensor.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import { checkAgainstSpec, formatShape, isDatatype, type Tensor, type TensorSpec } from '@sightline/tensor';
import type { LoadedModelVersion } from '../model/loaded-model.js';
import { CLASSIFICATION_PARAMETER, classificationCount } from './classification.js';
import type { InferRequest } from './infer-types.js';

/** The validated work: inputs by name, the outputs to compute, and the batch size. */
export interface ValidatedRequest {
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly outputNames: readonly string[];
  readonly batchSize: number;
  /** Outputs asked as Triton classifications, with their class counts (none: empty). */
  readonly classifications: ReadonlyMap<string, number>;
}

const NO_CLASSIFICATIONS: ReadonlyMap<string, number> = new Map();

function names(specs: readonly TensorSpec[]): string {
  return specs.map((s) => s.name).join(', ');
}

function labelOf(model: LoadedModelVersion): string {
  return `model "${model.name}" version ${model.version}`;
}

// Models have a handful of inputs and outputs: a linear search beats building a Map or Set
// per request (this runs on every inference).
function specNamed(specs: readonly TensorSpec[], name: string): TensorSpec | undefined {
  for (const spec of specs) if (spec.name === name) return spec;
  return undefined;
}

/** Validates `request` for `model`; see the file comment. */
export function validateRequest(request: InferRequest, model: LoadedModelVersion): ValidatedRequest {
  // Datatypes first, from the headers: raw bytes read in the wrong datatype (FP32 bytes sent
  // as BOOL) would otherwise fail on an element value and hide the real mistake.
  for (const header of request.inputHeaders) {
    const spec = specNamed(model.inputs, header.name);
    // An unknown datatype is left to decoding, which names the known ones.
    if (spec !== undefined && header.datatype !== spec.datatype && isDatatype(header.datatype)) {
      throw new InvalidArgumentError(
        `input ${quoteName(header.name)}: expected datatype ${spec.datatype}, got ${header.datatype}`,
      );
    }
  }
  const inputs = new Map<string, Tensor>();
  for (const tensor of request.decodeInputs()) {
    const spec = specNamed(model.inputs, tensor.name);
    if (!spec) {
      throw new InvalidArgumentError(
        `input ${quoteName(tensor.name)}: ${labelOf(model)} has no such input (its inputs: ${names(model.inputs)})`,
      );
    }
    if (inputs.has(tensor.name))
      throw new InvalidArgumentError(`input ${quoteName(tensor.name)}: given more than once`);
    checkAgainstSpec(tensor, spec, 'input');
    inputs.set(tensor.name, tensor);
  }
  for (const spec of model.inputs) {
    if (!inputs.has(spec.name)) {
      throw new InvalidArgumentError(
        `input "${spec.name}": missing; ${labelOf(model)} needs every one of its inputs (${names(model.inputs)})`,
      );
    }
  }

  let batchSize = 1;
  const maxBatchSize = model.config.maxBatchSize;
  if (maxBatchSize > 0) {
    let first: Tensor | undefined;
    for (const tensor of inputs.values()) {
      if (tensor.shape.length === 0) {
        throw new InvalidArgumentError(
          `input ${quoteName(tensor.name)}: needs a batch dimension first, got shape []`,
        );
      }
      const rows = tensor.shape[0]!;
      if (!first) {
        first = tensor;
        batchSize = rows;
      } else if (rows !== batchSize) {
        throw new InvalidArgumentError(
          `input ${quoteName(tensor.name)}: batch size ${rows} (shape ${formatShape(tensor.shape)}) differs from input ${quoteName(first.name)}'s ${batchSize}`,
        );
      }
    }
    if (batchSize < 1 || batchSize > maxBatchSize) {
      throw new InvalidArgumentError(
        `${first ? `input ${quoteName(first.name)}` : 'request'}: batch size must be between 1 and max_batch_size ${maxBatchSize}, got ${batchSize}`,
      );
    }
  }

  let outputNames: string[];
  let classifications = NO_CLASSIFICATIONS;
  if (request.outputs.length === 0) {
    outputNames = model.outputs.map((spec) => spec.name);
  } else {
    outputNames = [];
    for (const output of request.outputs) {
      if (!specNamed(model.outputs, output.name)) {
        throw new InvalidArgumentError(
          `output ${quoteName(output.name)}: ${labelOf(model)} has no such output (its outputs: ${names(model.outputs)})`,
        );
      }
      if (outputNames.includes(output.name)) {
        throw new InvalidArgumentError(`output ${quoteName(output.name)}: requested more than once`);
      }
      outputNames.push(output.name);
      const count = classificationCount(output.name, output.parameters[CLASSIFICATION_PARAMETER]);
      if (count !== undefined) {
        if (classifications === NO_CLASSIFICATIONS) classifications = new Map();
        (classifications as Map<string, number>).set(output.name, count);
      }
    }
  }
  return { inputs, outputNames, batchSize, classifications };
}
