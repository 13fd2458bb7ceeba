import { sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { readEventRows, tableFromEvents } from './table-from-events.js';

const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

describe('tableFromEvents', () => {
  it('reads the request tensor of each event, named, with request ids', () => {
    const read = tableFromEvents([sampleEvent(0), sampleEvent(1)], {
      side: 'request',
      tensor: 'input',
      columnNames: names,
      columns: ['petal_width', 'sepal_length'],
    });
    expect(read.table?.names).toEqual(['petal_width', 'sepal_length']);
    expect(read.table?.rows).toBe(2);
    expect(read.table!.columns[0]![1]).toBeCloseTo(1.2, 5);
    expect(read.requests).toEqual([
      { requestId: 'req-00000000', rows: 1 },
      { requestId: 'req-00000001', rows: 1 },
    ]);
    expect(read.unreadable).toEqual({});
  });

  it('reads the response side; 64-bit integers become numbers', () => {
    const read = tableFromEvents([sampleEvent(4)], {
      side: 'response',
      tensor: 'label',
      categorical: ['label[0]'],
    });
    expect(read.table?.kinds).toEqual(['categorical']);
    expect([...read.table!.columns[0]!]).toEqual([1]);
  });

  it('counts unreadable events per reason and never throws', () => {
    const wide = sampleEvent(2, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: new Float32Array(5) }],
    });
    const nan = sampleEvent(3, {
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, Number.NaN, 1, 1]) },
      ],
    });
    const failed = sampleEvent(5, { statusCode: 'UNAVAILABLE', outputs: [] });
    const fitted = tableFromEvents([sampleEvent(0)], { side: 'request', columnNames: names }).table!;
    const read = tableFromEvents(
      [sampleEvent(1), wide, nan, sampleEvent(4, { inputs: [] })],
      { side: 'request', tensor: 'input' },
      fitted,
    );
    expect(read.table?.rows).toBe(1);
    expect(read.unreadable).toEqual({ width: 1, 'non-finite': 1, 'missing-tensor': 1 });
    // Unnamed events wider than the fitted width are unreadable too, not cut to it.
    const unnamed = tableFromEvents([sampleEvent(0)], { side: 'request', tensor: 'input' }).table!;
    const wider = tableFromEvents([sampleEvent(1), wide], { side: 'request', tensor: 'input' }, unnamed);
    expect(wider.table?.rows).toBe(1);
    expect(wider.unreadable).toEqual({ width: 1 });
    expect(readEventRows(failed, { side: 'response' })).toMatchObject({
      ok: false,
      problem: 'failed-request',
    });
  });
});
