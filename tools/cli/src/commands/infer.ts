/**
 * `sightline infer MODEL`: one inference through the router (a graph, or a model the router
 * passes through) or straight to a model-server (`--address 127.0.0.1:8001`). Inputs from
 * `--input` or `--input-file` (JSON, CSV, NPY), named and typed from the model's metadata;
 * `--header k=v` and `--parameter k=v` steer switches and sticky keys. Prints the outputs
 * and the answer's parameters (its trace id among them).
 */
import { isDatatype, type Tensor, type TensorSpec } from '@sightline/tensor';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { collect, parseHeaders, parseParameters } from '../frame/key-values.js';
import { UsageError } from '../frame/usage-error.js';
import { inferInBatches } from './infer-batches.js';
import { type InputFlags, needsMetadata, readInputs, resolveTensors } from './infer-inputs.js';
import { type InferAnswer, inferResult } from './infer-view.js';

interface InferFlags extends InputFlags {
  readonly model?: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly header?: string[];
  readonly parameter?: string[];
  readonly output?: string[];
  readonly batchSize?: string;
}

/** `--batch-size`: a positive whole number of rows, or undefined for one request. */
function parseBatchSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `--batch-size: expected a positive whole number of rows, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Registers `infer`. */
export function registerInferCommand(program: Command, frame: CliFrame): void {
  frame
    .command(program, 'infer [model]', {
      description: 'run one inference on a model or graph and print its outputs and parameters',
      service: 'router',
    })
    .option('--model <name>', 'the model or graph (instead of the argument)')
    .option('--model-version <version>', 'model version (default: the newest ready)')
    .option(
      '--input <[name=]json>',
      'an input as JSON: a nested array, or {"inputs":[...]} (repeatable)',
      collect,
    )
    .option('--input-file <path>', 'inputs from a .json, .csv or .npy file')
    .option(
      '--input-format <format>',
      'the --input-file format when its extension does not say: json, csv or npy',
    )
    .option(
      '--input-name <name>',
      "the name of an unnamed input (default: the model's input at its position)",
    )
    .option(
      '--datatype <type>',
      "send every input as this V2 datatype (default: the input's, else the model's)",
    )
    .option(
      '--csv-columns <columns>',
      'CSV columns to send, by header name or 0-based index, comma-separated',
    )
    .option('--max-input-bytes <bytes>', 'the largest --input-file read (default: 1073741824)')
    .option('--output <name>', 'ask for this output only (repeatable; default: all)', collect)
    .option(
      '--batch-size <rows>',
      'send the inputs in requests of at most this many rows (a progress bar shows the rows sent)',
    )
    .option('--id <id>', 'request id, echoed in the answer')
    .option(
      '--header <key=value>',
      'gRPC metadata, e.g. x-iris-runtime=tfjs for a switch on a header (repeatable)',
      collect,
    )
    .option(
      '--parameter <key=value>',
      'request parameter (repeatable): true/false bool, integers int64, decimals double, "quoted" or other text string',
      collect,
    )
    .action(
      frame.run<InferFlags>(async (context) => {
        const { flags } = context;
        const model = (context.args[0] as string | undefined) ?? flags.model;
        if (model === undefined)
          throw new UsageError('infer: name the model or graph, e.g. sightline infer iris --input ...');
        if (context.args[0] !== undefined && flags.model !== undefined)
          throw new UsageError('--model: the model is already named by the argument');
        const batchSize = parseBatchSize(flags.batchSize);
        const headers = parseHeaders(flags.header ?? []);
        const parameters = parseParameters(flags.parameter ?? []);
        const inputs = await readInputs(flags, context.progress);
        const inference = context.sightline().inference;
        const call = {
          ...context.call,
          headers,
          ...(flags.modelVersion === undefined ? {} : { version: flags.modelVersion }),
        };
        let declared: TensorSpec[] = [];
        if (needsMetadata(inputs, flags)) {
          const metadata = await inference.modelMetadata(model, call);
          declared = metadata.inputs.flatMap((spec) =>
            isDatatype(spec.datatype)
              ? [{ name: spec.name, datatype: spec.datatype, shape: [...spec.shape] }]
              : [],
          );
        }
        const tensors = resolveTensors(inputs, flags, declared, model);
        const runOne = async (batch: Tensor[]): Promise<InferAnswer> => {
          const answer = await inference.infer(model, batch, {
            ...call,
            parameters,
            ...(flags.id === undefined ? {} : { id: flags.id }),
            ...(flags.output === undefined ? {} : { outputs: flags.output }),
          });
          return {
            modelName: answer.model,
            modelVersion: answer.version,
            id: answer.id,
            parameters: answer.parameters,
            outputs: answer.outputs.map((output) => output.toTensor()),
          };
        };
        if (batchSize === undefined) {
          context.output.print(inferResult(await context.progress.during(`infer ${model}`, runOne(tensors))));
          return;
        }
        const rows = tensors[0]?.shape[0] ?? 0;
        const bar = context.progress.bar(`infer ${model}`, rows);
        try {
          context.output.print(inferResult(await inferInBatches(tensors, batchSize, runOne, bar)));
        } finally {
          bar.stop();
        }
      }),
    );
}
