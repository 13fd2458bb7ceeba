/**
 * What the metrics keep of an InferenceEvent: its series, its rows' predicted labels,
 * probabilities or values, its latency and its segment values. Plain data in, plain data out.
 *
 * **Series.** A direct model call is kept under (model, version, node ''); a graph's answer
 * under the graph's name with the answering model's version and node '' (the contract's "a
 * graph's final answer under the graph's name"); a shadow's answer (the router marks it with
 * the response parameter `sightline.shadow`) under the graph's name and the shadow node (the
 * first entry of its node path), so CompareVersions can pair a graph's answer with its shadow's
 * on the same requests.
 *
 * **Rows.** The output read is the one `outputs[model]` names, else the first of
 * `probabilities`, `probability`, `probs`, `output_probability`, then a label output (`label`,
 * `labels`, `output_label`), else the first output. Its first dimension is the row count. How
 * it reads:
 * - FP of shape [n, K], K >= 2, every row in [0, 1] summing to 1 within 1e-3: class
 *   probabilities; the predicted label is the most probable class (the first on a tie, as
 *   numpy's argmax, and as scikit-learn's predict reads predict_proba), so a model that also
 *   returns a label output is read from its probabilities alone.
 * - BYTES of shape [n] or [n, 1]: class labels (names). Integer of shape [n] or [n, 1]: class
 *   indices, kept as decimal labels.
 * - FP of shape [n] or [n, 1] with a model whose `classes` has 2 entries, every value in [0, 1]:
 *   the second class's probability (binary); otherwise FP is regression: a row's elements are its
 *   values.
 * Classes: `classes[model]` when configured (probabilities in that order; an index label is
 * mapped to its name), else the decimal indices `0 .. K-1` for probabilities. A label output
 * needs the class list configured (per-class metrics need every class up front), and a label
 * outside it makes the event unreadable.
 *
 * **Segments.** For each configured name, a row's value is the request parameter of that name
 * (the same for every row), else an input tensor of that name with one BYTES or integer element
 * per row; a row without one has no value for the segment.
 *
 * A failed request (status other than OK), one with no outputs, or an output whose shape does
 * not fit the rules above is not a prediction: the reason is returned, counted by the caller.
 */
import type { InferenceEvent } from '@sightline/events';
import type { Tensor } from '@sightline/tensor';
import type { PredictionRecord, PredictionRow } from '../domain/records.js';

/** How events are read, per model (or graph) name. */
export interface PredictionMappingOptions {
  /** Class labels in probability order, per model name (`--classes iris=setosa,versicolor,virginica`). */
  readonly classes?: Readonly<Record<string, readonly string[]>>;
  /** The output tensor read, per model name (`--output iris=probabilities`). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Configured segment names (`--segment country`). */
  readonly segments?: readonly string[];
}

/** Why an event gave no prediction. */
export type SkipReason = 'failed_request' | 'no_outputs' | 'unreadable_output' | 'no_request_id';

/** A prediction, or the reason there is none. */
export type EventReading =
  | { readonly record: PredictionRecord }
  | { readonly skipped: SkipReason; readonly detail: string };

const SHADOW_PARAMETER = 'sightline.shadow';
const PROBABILITY_NAMES = ['probabilities', 'probability', 'probs', 'output_probability'];
const LABEL_NAMES = ['label', 'labels', 'output_label'];
const PROBABILITY_SUM_TOLERANCE = 1e-3;
const TEXT = new TextDecoder('utf-8', { fatal: false });

const isFloat = (t: Tensor) =>
  t.datatype === 'FP32' || t.datatype === 'FP64' || t.datatype === 'FP16' || t.datatype === 'BF16';
const isInteger = (t: Tensor) => /^U?INT(8|16|32|64)$/.test(t.datatype);

/** The row count and the elements per row of a tensor read row by row; undefined for a scalar. */
function rowsOf(t: Tensor): { n: number; width: number } | undefined {
  if (t.shape.length === 0) return undefined;
  const n = t.shape[0]!;
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { n, width };
}

/** The tensor's elements as numbers (FP16/BF16 are not decoded here: unreadable). */
function numbersOf(t: Tensor): ArrayLike<number> | undefined {
  switch (t.datatype) {
    case 'FP32':
    case 'FP64':
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return t.data;
    case 'INT64':
    case 'UINT64':
      return Array.from(t.data, Number);
    default:
      return undefined;
  }
}

/** Per-row label text of a BYTES or integer tensor of shape [n] or [n, 1]. */
function labelsOf(t: Tensor): string[] | undefined {
  const rows = rowsOf(t);
  if (rows === undefined || rows.width !== 1) return undefined;
  if (t.datatype === 'BYTES') return t.data.map((bytes) => TEXT.decode(bytes));
  if (!isInteger(t)) return undefined;
  const numbers = numbersOf(t)!;
  return Array.from({ length: rows.n }, (_, i) => String(numbers[i]));
}

function pickOutput(outputs: readonly Tensor[], named: string | undefined): Tensor | undefined {
  if (named !== undefined) return outputs.find((t) => t.name === named);
  return (
    outputs.find((t) => PROBABILITY_NAMES.includes(t.name)) ??
    outputs.find((t) => LABEL_NAMES.includes(t.name)) ??
    outputs[0]
  );
}

function probabilityRows(values: ArrayLike<number>, n: number, k: number): boolean {
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const p = values[r * k + c]!;
      if (!(p >= 0 && p <= 1)) return false;
      sum += p;
    }
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) return false;
  }
  return true;
}

function segmentValues(
  event: InferenceEvent,
  names: readonly string[],
  n: number,
): (Record<string, string> | undefined)[] {
  const perRow: Record<string, string>[] = Array.from({ length: n }, () => ({}));
  for (const name of names) {
    const parameter = event.requestParameters[name];
    if (parameter !== undefined) {
      for (const row of perRow) row[name] = String(parameter);
      continue;
    }
    const input = event.inputs.find((t) => t.name === name);
    const labels = input === undefined ? undefined : labelsOf(input);
    if (labels === undefined || labels.length !== n) continue;
    labels.forEach((value, r) => {
      perRow[r]![name] = value;
    });
  }
  return perRow.map((row) => (Object.keys(row).length === 0 ? undefined : row));
}

/** Reads one event (see the module comment). */
export function predictionFromEvent(
  event: InferenceEvent,
  options: PredictionMappingOptions = {},
): EventReading {
  if (event.statusCode !== 'OK') return { skipped: 'failed_request', detail: `status ${event.statusCode}` };
  if (event.requestId === '') return { skipped: 'no_request_id', detail: 'the event carries no request id' };
  if (event.outputs.length === 0) return { skipped: 'no_outputs', detail: 'the event carries no outputs' };
  const shadow = event.responseParameters[SHADOW_PARAMETER] === true;
  const inGraph = event.graph !== '';
  const modelName = inGraph ? event.graph : event.modelName;
  const node = inGraph && shadow ? (event.nodePath[0] ?? '') : '';
  // A model's options are found under the series' name, or the answering model's.
  const configured = <T>(table: Readonly<Record<string, T>> | undefined) =>
    table?.[modelName] ?? table?.[event.modelName];
  const output = pickOutput(event.outputs, configured(options.outputs));
  const unreadable = (why: string): EventReading => ({
    skipped: 'unreadable_output',
    detail: `output ${JSON.stringify(output?.name ?? configured(options.outputs) ?? '')}: ${why}`,
  });
  if (output === undefined) return unreadable('no such output in the event');
  const shape = rowsOf(output);
  if (shape === undefined || shape.n === 0)
    return unreadable(`shape [${output.shape.join(', ')}] has no rows`);
  const { n, width } = shape;
  const configuredClasses = configured(options.classes);
  let task: 'classification' | 'regression';
  let classes: readonly string[] = configuredClasses ?? [];
  const rows: PredictionRow[] = [];
  const numbers = isFloat(output) ? numbersOf(output) : undefined;
  const labels = numbers === undefined ? labelsOf(output) : undefined;
  if (numbers !== undefined && width >= 2 && probabilityRows(numbers, n, width)) {
    task = 'classification';
    if (configuredClasses !== undefined && configuredClasses.length !== width) {
      return unreadable(
        `${width} probabilities per row but --classes names ${configuredClasses.length} classes`,
      );
    }
    if (configuredClasses === undefined) classes = Array.from({ length: width }, (_, c) => String(c));
    for (let r = 0; r < n; r++) {
      const probabilities = Array.from({ length: width }, (_, c) => numbers[r * width + c]!);
      let best = 0;
      for (let c = 1; c < width; c++) if (probabilities[c]! > probabilities[best]!) best = c;
      rows.push({ row: r, label: classes[best]!, probabilities });
    }
  } else if (
    numbers !== undefined &&
    width === 1 &&
    configuredClasses?.length === 2 &&
    Array.from({ length: n }, (_, r) => numbers[r]!).every((p) => p >= 0 && p <= 1)
  ) {
    task = 'classification';
    for (let r = 0; r < n; r++) {
      const p = numbers[r]!;
      rows.push({ row: r, label: configuredClasses[p > 0.5 ? 1 : 0]!, probabilities: [1 - p, p] });
    }
  } else if (numbers !== undefined) {
    task = 'regression';
    classes = [];
    for (let r = 0; r < n; r++)
      rows.push({ row: r, values: Array.from({ length: width }, (_, c) => numbers[r * width + c]!) });
  } else if (labels !== undefined) {
    task = 'classification';
    // Per-class metrics need the classes up front: labels alone do not say which exist.
    if (configuredClasses === undefined) {
      return unreadable('class labels without a class list: set --classes MODEL=label1,label2,...');
    }
    for (let r = 0; r < n; r++) {
      const text = labels[r]!;
      // An index label names its class.
      const named = isInteger(output)
        ? configuredClasses[Number(text)]
        : configuredClasses.includes(text)
          ? text
          : undefined;
      if (named === undefined)
        return unreadable(`row ${r}: label ${JSON.stringify(text)} is not one of --classes`);
      rows.push({ row: r, label: named });
    }
  } else {
    return unreadable(
      `datatype ${output.datatype} of shape [${output.shape.join(', ')}] is neither probabilities, labels nor values`,
    );
  }
  const segments = options.segments?.length ? segmentValues(event, options.segments, n) : [];
  return {
    record: {
      eventId: event.eventId,
      requestId: event.requestId,
      modelName,
      modelVersion: event.modelVersion,
      node,
      graph: event.graph,
      outputName: output.name,
      timeMs: event.timeUnixMs,
      ...(Number.isFinite(event.timings.totalMs) && { latencyMs: event.timings.totalMs }),
      task,
      classes,
      rows: rows.map((row, r) => (segments[r] === undefined ? row : { ...row, segments: segments[r] })),
    },
  };
}
