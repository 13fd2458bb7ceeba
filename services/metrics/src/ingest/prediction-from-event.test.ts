import { sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { predictionFromEvent } from './prediction-from-event.js';

const probs = (rows: number[][]) => ({
  name: 'probabilities',
  datatype: 'FP32' as const,
  shape: [rows.length, rows[0]!.length],
  data: new Float32Array(rows.flat()),
});

describe('predictionFromEvent', () => {
  it('reads probabilities: argmax labels, class names when configured, the graph as the series', () => {
    const event = sampleEvent(1, {
      outputs: [
        probs([
          [0.1, 0.7, 0.2],
          [0.5, 0.25, 0.25],
        ]),
      ],
      requestParameters: { country: 'fr' },
    });
    const reading = predictionFromEvent(event, { classes: { iris: ['a', 'b', 'c'] }, segments: ['country'] });
    expect('record' in reading && reading.record).toMatchObject({
      modelName: 'iris',
      modelVersion: '1',
      node: '',
      graph: 'iris',
      task: 'classification',
      classes: ['a', 'b', 'c'],
      rows: [
        { row: 0, label: 'b', segments: { country: 'fr' } },
        { row: 1, label: 'a', segments: { country: 'fr' } },
      ],
      latencyMs: 1.25,
    });
    const indexed = predictionFromEvent(event);
    expect('record' in indexed && indexed.record.classes).toEqual(['0', '1', '2']);
  });

  it('keeps a shadow under its node, a direct call under its model', () => {
    const shadow = sampleEvent(2, {
      outputs: [probs([[0.9, 0.1]])],
      nodePath: ['mirror', 'x'],
      responseParameters: { 'sightline.shadow': true },
    });
    expect(predictionFromEvent(shadow)).toMatchObject({ record: { modelName: 'iris', node: 'mirror' } });
    const direct = sampleEvent(3, {
      graph: '',
      nodePath: [],
      modelName: 'wine',
      outputs: [probs([[0.9, 0.1]])],
    });
    expect(predictionFromEvent(direct)).toMatchObject({ record: { modelName: 'wine', node: '' } });
  });

  it('reads regression outputs and binary probabilities', () => {
    const values = sampleEvent(4, {
      outputs: [{ name: 'price', datatype: 'FP64', shape: [2, 1], data: new Float64Array([3.5, 7]) }],
    });
    expect(predictionFromEvent(values)).toMatchObject({
      record: { task: 'regression', classes: [], rows: [{ values: [3.5] }, { values: [7] }] },
    });
    const binary = sampleEvent(5, {
      outputs: [{ name: 'p', datatype: 'FP32', shape: [1], data: new Float32Array([0.75]) }],
    });
    expect(predictionFromEvent(binary, { classes: { iris: ['no', 'yes'] } })).toMatchObject({
      record: { task: 'classification', rows: [{ label: 'yes', probabilities: [0.25, 0.75] }] },
    });
  });

  it('reads label outputs only against a class list, and says why an event gives nothing', () => {
    const labels = sampleEvent(6); // an INT64 label output of one row
    expect(predictionFromEvent(labels)).toMatchObject({
      skipped: 'unreadable_output',
      detail: expect.stringMatching(/--classes/),
    });
    expect(predictionFromEvent(labels, { classes: { iris: ['a', 'b', 'c'] } })).toMatchObject({
      record: { rows: [{ label: 'a' }] },
    });
    expect(predictionFromEvent(sampleEvent(7, { statusCode: 'UNAVAILABLE' }))).toMatchObject({
      skipped: 'failed_request',
    });
    expect(predictionFromEvent(sampleEvent(8, { outputs: [] }))).toMatchObject({ skipped: 'no_outputs' });
    expect(
      predictionFromEvent(sampleEvent(9, { outputs: [probs([[0.9, 0.1]])] }), { outputs: { iris: 'nope' } }),
    ).toMatchObject({
      skipped: 'unreadable_output',
      detail: expect.stringMatching(/no such output/),
    });
  });
});
