/** The model every hop of a benchmark graph calls, and its tensors. */
export interface HopModel {
  readonly modelName: string;
  readonly inputName: string;
  readonly inputShape: readonly number[];
  readonly outputName: string;
  readonly outputShape: readonly number[];
}

/** The graph name of a chain of `hops` sequential model nodes. */
export function hopGraphName(hops: number): string {
  return `bench-${hops}-hop`;
}

/**
 * A graph document (the protobuf JSON mapping the router reads from `--graphs`) of `hops`
 * sequential calls of one model. One hop is a single model node, so the router's cost is
 * one graph lookup and one upstream call. More hops are a sequence whose later steps take
 * the original request (`input: request`) with only the model's input selected: the model
 * maps [n,4] to [n,3], so the previous step's output would not fit the next call. The model
 * nodes name no address, so the router's `--default-model-server` serves them; declared
 * tensors let the router's validator check the chain as it would in production.
 */
export function hopGraphDocument(hops: number, model: HopModel): Record<string, unknown> {
  if (!(Number.isInteger(hops) && hops > 0)) {
    throw new RangeError(`hops: expected a positive integer, got ${hops}`);
  }
  const modelNode = (name: string) => ({
    name,
    model: {
      modelName: model.modelName,
      declaredInputs: [{ name: model.inputName, datatype: 'FP32', shape: dynamicBatch(model.inputShape) }],
      declaredOutputs: [{ name: model.outputName, datatype: 'FP32', shape: dynamicBatch(model.outputShape) }],
    },
  });
  const name = hopGraphName(hops);
  const description = `${hops} sequential call(s) of ${model.modelName}, for the router benchmark`;
  if (hops === 1) return { name, description, root: 'hop1', nodes: [modelNode('hop1')] };
  const hopNames = Array.from({ length: hops }, (_, i) => `hop${i + 1}`);
  return {
    name,
    description,
    root: 'chain',
    nodes: [
      {
        name: 'chain',
        sequence: {
          steps: hopNames.map((node, i) =>
            i === 0 ? { node } : { node, input: 'request', mapping: { select: [model.inputName] } },
          ),
        },
      },
      ...hopNames.map(modelNode),
    ],
  };
}

/** The shape with its first (batch) dimension variable, as the model declares it. */
function dynamicBatch(shape: readonly number[]): number[] {
  return shape.map((d, i) => (i === 0 ? -1 : d));
}

/** The graph name of the 1-hop graph behind a synchronous outlier detector node. */
export const DETECTOR_GRAPH_NAME = 'bench-detector-1-hop';

/**
 * The 1-hop graph ({@link hopGraphDocument}) with a synchronous outlier detector node in
 * front: a sequence of the detector (`mode: sync`, `addVerdictToResponse`, hard: the
 * answer waits for the verdict; nothing after it reads the verdict, so the router runs the
 * model call beside the Predict, see services/router/README.md) and the same model node. The detector names no address, so
 * the router's `--outlier-address` serves it. Measured against `bench-1-hop` on the same
 * router, the difference is what the detector node adds.
 */
export function detectorGraphDocument(model: HopModel, detector: string): Record<string, unknown> {
  const hop = hopGraphDocument(1, model);
  return {
    name: DETECTOR_GRAPH_NAME,
    description: `outlier detector ${detector} (sync) then ${model.modelName}, for the outlier benchmark`,
    root: 'checked',
    nodes: [
      { name: 'checked', sequence: { steps: [{ node: 'od' }, { node: 'hop1' }] } },
      {
        name: 'od',
        detector: { kind: 'outlier', detector, mode: 'sync', addVerdictToResponse: true },
      },
      ...(hop.nodes as unknown[]),
    ],
  };
}
