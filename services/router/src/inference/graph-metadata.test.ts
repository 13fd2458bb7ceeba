import { UnavailableError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { parseGraphDocument } from '../contract/graph-document.js';
import type { ModelTarget } from '../engine/ports.js';
import { compileGraph } from '../graph/compiled-graph.js';
import { metadataCandidates, upstreamSignature } from './graph-metadata.js';

const graph = (text: string) => compileGraph(parseGraphDocument(text).graph!);
const INPUT = [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }];
const OUTPUT = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }];

/** Answers for every address but the dead ones, as the upstream client would fail. */
function directory(dead: readonly string[]) {
  const asked: string[] = [];
  const lookup = async (target: ModelTarget) => {
    asked.push(`${target.modelName}@${target.address}`);
    if (dead.includes(target.address)) throw new UnavailableError('round_robin: No connection established');
    return { inputs: INPUT, outputs: OUTPUT };
  };
  return { asked, lookup };
}

const ENSEMBLE = `
name: ens
root: e
nodes:
  - name: e
    ensemble: { members: [{ node: dead }, { node: live }], combiner: mean }
  - { name: dead, policy: { dependency: soft }, model: { address: "10.0.0.1:1", modelName: a } }
  - { name: live, model: { address: "10.0.0.2:1", modelName: b } }
`;

describe('graph metadata from upstream', () => {
  it('skips a dead soft first node and answers from the next that answers', async () => {
    const { asked, lookup } = directory(['10.0.0.1:1']);
    expect(await upstreamSignature(graph(ENSEMBLE), 'entry', '', lookup)).toEqual(INPUT);
    expect(asked).toEqual(['a@10.0.0.1:1', 'b@10.0.0.2:1']);
  });

  it('names every node and address tried when none answers, keeping the code', async () => {
    const { lookup } = directory(['10.0.0.1:1', '10.0.0.2:1']);
    await expect(upstreamSignature(graph(ENSEMBLE), 'entry', '', lookup)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message:
        'graph "ens": no node answered ModelMetadata: node "dead" (model "a" at 10.0.0.1:1): round_robin: No connection established; node "live" (model "b" at 10.0.0.2:1): round_robin: No connection established',
    });
  });

  it('answers for a sequence whose dead first step is soft from the step after it, naming nodes without grpc-js noise', async () => {
    const g = graph(`
name: dead-first
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: dead }, { node: m, input: request }] }
  - { name: dead, policy: { dependency: soft }, model: { address: "127.0.0.1:1", modelName: iris } }
  - { name: m, model: { address: "10.0.0.2:1", modelName: iris } }
`);
    expect(metadataCandidates(g, 'entry').map((n) => n.name)).toEqual(['dead', 'm']);
    expect(metadataCandidates(g, 'exit').map((n) => n.name)).toEqual(['m']);
    const { asked, lookup } = directory(['127.0.0.1:1']);
    expect(await upstreamSignature(g, 'entry', '', lookup)).toEqual(INPUT);
    expect(asked).toEqual(['iris@127.0.0.1:1', 'iris@10.0.0.2:1']);
    // A hard first step is the only candidate: its failure is the request's too.
    const hard = graph(`
name: dead-hard
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: dead }, { node: m }] }
  - { name: dead, model: { address: "127.0.0.1:1", modelName: iris } }
  - { name: m, model: { address: "10.0.0.2:1", modelName: iris } }
`);
    const noisy = async () => {
      throw new UnavailableError(
        'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1 (2026-12-03T14:53:00.000Z). Resolution note: ',
      );
    };
    await expect(upstreamSignature(hard, 'entry', '', noisy)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message:
        'graph "dead-hard": no node answered ModelMetadata: node "dead" (model "iris" at 127.0.0.1:1): No connection established',
    });
  });

  it('declares nothing for a graph rooted at a lone detector: no model is behind it', () => {
    const g = graph(`
name: only-od
root: od
nodes: [{ name: od, detector: { kind: outlier, address: "10.0.0.9:1", detector: iris-od } }]
`);
    expect(metadataCandidates(g, 'entry')).toEqual([]);
    expect(metadataCandidates(g, 'exit')).toEqual([]);
  });

  it('looks through a detector step to the model after it, and uses the default address', async () => {
    const g = graph(`
name: checked
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: od }, { node: m }] }
  - { name: od, detector: { kind: outlier, address: "10.0.0.9:1", detector: iris-od } }
  - { name: m, model: { modelName: iris } }
`);
    expect(metadataCandidates(g, 'entry').map((n) => n.name)).toEqual(['m']);
    expect(metadataCandidates(g, 'exit').map((n) => n.name)).toEqual(['m']);
    const { asked, lookup } = directory([]);
    expect(await upstreamSignature(g, 'entry', '127.0.0.1:8001', lookup)).toEqual(INPUT);
    expect(asked).toEqual(['iris@127.0.0.1:8001']);
  });

  it('offers every switch case and the default, and no model for a concat ensemble output', () => {
    const g = graph(`
name: sw
root: s
nodes:
  - name: s
    switch: { cases: [{ condition: { header: x, operator: exists }, node: a }], defaultNode: c }
  - { name: a, model: { modelName: a } }
  - name: c
    ensemble: { members: [{ node: a }, { node: b }], combiner: concat }
  - { name: b, model: { modelName: b } }
`);
    expect(metadataCandidates(g, 'entry').map((n) => n.name)).toEqual(['a', 'b']);
    expect(metadataCandidates(g, 'exit').map((n) => n.name)).toEqual(['a']);
  });
});
