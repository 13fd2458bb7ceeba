import { describe, expect, it } from 'vitest';
import {
  DETECTOR_GRAPH_NAME,
  detectorGraphDocument,
  type HopModel,
  hopGraphDocument,
  hopGraphName,
} from './router-graphs.js';

const IRIS: HopModel = {
  modelName: 'iris',
  inputName: 'input',
  inputShape: [1, 4],
  outputName: 'probabilities',
  outputShape: [1, 3],
};

describe('hopGraphDocument', () => {
  it('makes one hop a single model node with a variable batch dimension', () => {
    expect(hopGraphDocument(1, IRIS)).toMatchObject({
      name: 'bench-1-hop',
      root: 'hop1',
      nodes: [
        {
          name: 'hop1',
          model: {
            modelName: 'iris',
            declaredInputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
            declaredOutputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
          },
        },
      ],
    });
  });

  it('chains later hops on the original request input, so every call gets the shape it takes', () => {
    const graph = hopGraphDocument(3, IRIS);
    expect(graph.name).toBe(hopGraphName(3));
    expect(graph.root).toBe('chain');
    const nodes = graph.nodes as { name: string; sequence?: { steps: unknown[] } }[];
    expect(nodes.map((n) => n.name)).toEqual(['chain', 'hop1', 'hop2', 'hop3']);
    expect(nodes[0]!.sequence!.steps).toEqual([
      { node: 'hop1' },
      { node: 'hop2', input: 'request', mapping: { select: ['input'] } },
      { node: 'hop3', input: 'request', mapping: { select: ['input'] } },
    ]);
  });

  it('names the rule on a bad hop count', () => {
    expect(() => hopGraphDocument(0, IRIS)).toThrow('hops: expected a positive integer, got 0');
  });
});

describe('detectorGraphDocument', () => {
  it('puts a sync outlier detector node in front of the 1-hop graph, which it leaves as it is', () => {
    const graph = detectorGraphDocument(IRIS, 'iris-od');
    expect(graph.name).toBe(DETECTOR_GRAPH_NAME);
    expect(graph.root).toBe('checked');
    const nodes = graph.nodes as Record<string, unknown>[];
    expect(nodes[0]).toEqual({ name: 'checked', sequence: { steps: [{ node: 'od' }, { node: 'hop1' }] } });
    expect(nodes[1]).toEqual({
      name: 'od',
      detector: { kind: 'outlier', detector: 'iris-od', mode: 'sync', addVerdictToResponse: true },
    });
    expect(nodes[2]).toEqual((hopGraphDocument(1, IRIS).nodes as unknown[])[0]);
  });
});
