/**
 * `sightline infer`: one inference from the command line. Inputs are JSON arrays (nested
 * rows), their shape inferred, datatype and tensor name taken from the model's metadata
 * unless given; the answer's parameters and outputs are printed as JSON. A server's error is
 * printed as its status and message, as the server wrote it.
 */
import { inference } from '@sightline/contracts';
import {
  createTensor,
  type Datatype,
  decodeInferOutputs,
  encodeInferInputs,
  type ParameterRecord,
  type ParameterValue,
  parametersToRecord,
  recordToParameters,
  type Tensor,
} from '@sightline/tensor';
import { call, connect } from './v2-client.js';

/** Flattens a nested numeric JSON array into its shape and elements, checking it is rectangular. */
export function flattenNested(value: unknown): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number')
        throw new Error(`--input: expected a number at depth ${depth}, got ${JSON.stringify(node)}`);
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new Error(`--input: rows must all have ${shape[depth]} elements at depth ${depth}`);
    }
    for (const child of node) walk(child, depth + 1);
  };
  walk(value, 0);
  return { shape, values };
}

/**
 * Splits repeated `k=v` flags at the first `=` (a value may hold more).
 *
 * @throws Error naming the flag when one has no `=` or an empty key.
 */
export function parseKeyValues(values: readonly string[], flag: string): [string, string][] {
  return values.map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`${flag}: expected key=value, got ${JSON.stringify(entry)}`);
    return [entry.slice(0, at), entry.slice(at + 1)];
  });
}

const INTEGER = /^[-+]?\d+$/;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A `--parameter` value typed: true/false -> bool, an integer -> int64, a number -> double, else string. */
export function typedParameter(text: string): ParameterValue {
  if (text === 'true' || text === 'false') return text === 'true';
  if (INTEGER.test(text)) return BigInt(text);
  if (DECIMAL.test(text)) return Number(text);
  return text;
}

const TYPED_ARRAYS: Partial<Record<Datatype, (values: number[]) => Tensor['data']>> = {
  FP32: (v) => Float32Array.from(v),
  FP64: (v) => Float64Array.from(v),
  INT32: (v) => Int32Array.from(v),
  INT64: (v) => BigInt64Array.from(v.map((x) => BigInt(Math.trunc(x)))),
  UINT8: (v) => Uint8Array.from(v),
  BOOL: (v) => Uint8Array.from(v.map((x) => (x ? 1 : 0))),
};

function toJson(tensor: Tensor): unknown {
  const data =
    tensor.datatype === 'BYTES'
      ? (tensor.data as Uint8Array[]).map((b) => Buffer.from(b).toString('utf8'))
      : Array.from(tensor.data as ArrayLike<number | bigint>, (x) =>
          typeof x === 'bigint' ? x.toString() : x,
        );
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data };
}

/** Runs the command; returns the response as printable JSON. */
export async function inferCommand(options: {
  readonly address: string;
  readonly model: string;
  readonly version?: string;
  readonly input: string;
  readonly inputName?: string;
  readonly datatype?: string;
  readonly id?: string;
  readonly timeoutMs: number;
  /** gRPC metadata sent with both calls (`--header k=v`, repeatable), e.g. for a switch on a header. */
  readonly headers?: readonly string[];
  /** Request parameters (`--parameter k=v`, repeatable), typed by {@link typedParameter}. */
  readonly parameters?: readonly string[];
}): Promise<unknown> {
  const headers = parseKeyValues(options.headers ?? [], '--header');
  const parameters: ParameterRecord = Object.fromEntries(
    parseKeyValues(options.parameters ?? [], '--parameter').map(([k, v]) => [k, typedParameter(v)]),
  );
  const client = connect(options.address, headers);
  try {
    const metadata = await call(
      client,
      client.modelMetadata,
      { name: options.model, version: options.version ?? '' },
      options.timeoutMs,
    );
    const first = metadata.inputs[0];
    const name = options.inputName ?? first?.name;
    const datatype = (options.datatype ?? first?.datatype ?? 'FP32') as Datatype;
    if (!name) throw new Error(`model "${options.model}" declares no inputs; pass --input-name`);
    const toData = TYPED_ARRAYS[datatype];
    if (!toData)
      throw new Error(`--datatype: the CLI sends ${Object.keys(TYPED_ARRAYS).join(', ')}; got ${datatype}`);
    const { shape, values } = flattenNested(JSON.parse(options.input));
    const tensor = createTensor(name, datatype, shape, toData(values) as never) as Tensor;
    const { inputs, rawInputContents } = encodeInferInputs([tensor], 'raw');
    const response = await call(
      client,
      client.modelInfer,
      inference.ModelInferRequest.fromPartial({
        modelName: options.model,
        modelVersion: options.version ?? '',
        id: options.id ?? '',
        inputs,
        rawInputContents,
        parameters: recordToParameters(parameters),
      }),
      options.timeoutMs,
    );
    return {
      model_name: response.modelName,
      model_version: response.modelVersion,
      id: response.id,
      // The answer's parameters: through the router, sightline.path, sightline.trace_id...
      parameters: parametersToRecord(response.parameters),
      outputs: decodeInferOutputs(response).map(toJson),
    };
  } finally {
    client.close();
  }
}

/** `sightline models`: the repository index of a server. */
export async function modelsCommand(options: {
  readonly address: string;
  readonly timeoutMs: number;
}): Promise<unknown> {
  const client = connect(options.address);
  try {
    const index = await call(
      client,
      client.repositoryIndex,
      { repositoryName: '', ready: false },
      options.timeoutMs,
    );
    return index.models;
  } finally {
    client.close();
  }
}
