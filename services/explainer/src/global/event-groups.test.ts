import { createTensor, type Tensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../data-plane/stored-events.js';
import { eventRowCount, groupRows, rowsAsTensors, type SampledRow } from './event-groups.js';

const event = (id: string, version: string, inputs: Tensor[], modelName = 'm'): StoredEvent => ({
  eventId: id,
  modelName,
  modelVersion: version,
  graph: '',
  inputs,
});
const x = (rows: number[][]) => createTensor('x', 'FP32', [rows.length, 2], Float32Array.from(rows.flat()));

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
    const rows: SampledRow[] = [
      { event: e2, row: 1, sequence: 5 },
      { event: e10, row: 0, sequence: 0 },
      { event: e2, row: 0, sequence: 4 },
      { event: other, row: 0, sequence: 9 },
    ];
    const groups = groupRows(rows);
    expect(groups.map((g) => [g.modelName, g.modelVersion, g.rows.map((r) => r.sequence)])).toEqual([
      ['another', '1', [9]],
      ['m', '2', [4, 5]],
      ['m', '10', [0]],
    ]);
  });
});

describe('rowsAsTensors', () => {
  it("takes each sampled row out of its event's batch, and leaves out rows of another shape or without the tensor", () => {
    const batch = event('a', '1', [
      x([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ]);
    const wide = event('b', '1', [createTensor('x', 'FP32', [1, 3], Float32Array.of(7, 8, 9))]);
    const named = event('c', '1', [createTensor('y', 'FP32', [1, 2], Float32Array.of(0, 0))]);
    expect(eventRowCount(batch)).toBe(3);
    const rows: SampledRow[] = [
      { event: batch, row: 2, sequence: 0 },
      { event: wide, row: 0, sequence: 1 },
      { event: batch, row: 0, sequence: 2 },
      { event: named, row: 0, sequence: 3 },
    ];
    const { tensors, used, skipped } = rowsAsTensors(rows, []);
    expect(skipped).toBe(2);
    expect(used.map((r) => r.sequence)).toEqual([0, 2]);
    expect(tensors).toHaveLength(1);
    expect(tensors[0]!.name).toBe('x');
    expect(tensors[0]!.shape).toEqual([2, 2]);
    expect([...(tensors[0]!.data as Float32Array)]).toEqual([5, 6, 1, 2]);
  });

  it('names the tensors asked for, and refuses rows none of which has them (rule "selector.tensors")', () => {
    const rows: SampledRow[] = [{ event: event('a', '1', [x([[1, 2]])]), row: 0, sequence: 0 }];
    expect(() => rowsAsTensors(rows, ['z'])).toThrow('(rule "selector.tensors")');
  });
});
