import { createTensor, type Tensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../data-plane/stored-events.js';
import { eventRowCount, groupRows, rowsAsTensors, sampledRow } from './event-groups.js';

const event = (id: string, version: string, inputs: Tensor[], modelName = 'm'): StoredEvent => ({
  eventId: id,
  modelName,
  modelVersion: version,
  graph: '',
  inputs,
});
const x = (rows: number[][]) => createTensor('x', 'FP32', [rows.length, 2], Float32Array.from(rows.flat()));

describe('sampledRow', () => {
  it("copies one row of every request tensor out of the event, so the event's buffers are not kept", () => {
    const batch = event('a', '1', [
      x([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      createTensor('k', 'INT64', [3], BigInt64Array.of(7n, 8n, 9n)),
    ]);
    expect(eventRowCount(batch)).toBe(3);
    const row = sampledRow(batch, 1, 42);
    expect(row).toMatchObject({ modelName: 'm', modelVersion: '1', sequence: 42 });
    expect(row.inputs.map((t) => [t.name, t.shape, Array.from(t.data as ArrayLike<unknown>)])).toEqual([
      ['x', [1, 2], [3, 4]],
      ['k', [1], [8n]],
    ]);
    expect((row.inputs[0]!.data as Float32Array).buffer).not.toBe(
      (batch.inputs[0]!.data as Float32Array).buffer,
    );
  });
});

describe('groupRows', () => {
  it('groups by model then version (numbers in number order), rows in reading order', () => {
    const e10 = event('a', '10', [x([[1, 1]])]);
    const e2 = event('b', '2', [
      x([
        [2, 2],
        [3, 3],
      ]),
    ]);
    const other = event('c', '1', [x([[4, 4]])], 'another');
    const groups = groupRows([
      sampledRow(e2, 1, 5),
      sampledRow(e10, 0, 0),
      sampledRow(e2, 0, 4),
      sampledRow(other, 0, 9),
    ]);
    expect(groups.map((g) => [g.modelName, g.modelVersion, g.rows.map((r) => r.sequence)])).toEqual([
      ['another', '1', [9]],
      ['m', '2', [4, 5]],
      ['m', '10', [0]],
    ]);
  });
});

describe('rowsAsTensors', () => {
  it('joins the sampled rows into one batch, leaving out rows of another shape or without the tensor', () => {
    const batch = event('a', '1', [
      x([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ]);
    const wide = event('b', '1', [createTensor('x', 'FP32', [1, 3], Float32Array.of(7, 8, 9))]);
    const named = event('c', '1', [createTensor('y', 'FP32', [1, 2], Float32Array.of(0, 0))]);
    const { tensors, used, skipped } = rowsAsTensors(
      [sampledRow(batch, 2, 0), sampledRow(wide, 0, 1), sampledRow(batch, 0, 2), sampledRow(named, 0, 3)],
      [],
    );
    expect(skipped).toBe(2);
    expect(used.map((r) => r.sequence)).toEqual([0, 2]);
    expect(tensors).toHaveLength(1);
    expect(tensors[0]!.name).toBe('x');
    expect(tensors[0]!.shape).toEqual([2, 2]);
    expect([...(tensors[0]!.data as Float32Array)]).toEqual([5, 6, 1, 2]);
  });

  it('names the tensors asked for, and refuses rows none of which has them (rule "selector.tensors")', () => {
    expect(() => rowsAsTensors([sampledRow(event('a', '1', [x([[1, 2]])]), 0, 0)], ['z'])).toThrow(
      '(rule "selector.tensors")',
    );
  });
});
