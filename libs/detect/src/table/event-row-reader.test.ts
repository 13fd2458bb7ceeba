import { sampleEvent } from '@sightline/events/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventRowReader } from './event-row-reader.js';
import { toRowMajor } from './feature-table.js';
import { readEventRows } from './table-from-events.js';
import { tableFromTensors } from './table-from-tensors.js';

describe('EventRowReader (property)', () => {
  it('reads exactly what readEventRows reads, problems included', () => {
    const layout = fc.record({
      width: fc.integer({ min: 1, max: 5 }),
      rows: fc.integer({ min: 0, max: 3 }),
      named: fc.boolean(),
      pick: fc.array(fc.nat(), { maxLength: 3 }),
      eventWidth: fc.integer({ min: 1, max: 8 }),
      nanAt: fc.option(fc.nat()),
      side: fc.constantFrom('request' as const, 'response' as const),
    });
    fc.assert(
      fc.property(layout, ({ width, rows, named, pick, eventWidth, nanAt, side }) => {
        const names = Array.from({ length: width }, (_, i) => `c${i}`);
        const columns = pick.length > 0 ? [...new Set(pick.map((p) => names[p % width]!))] : undefined;
        const selection = {
          side,
          tensor: 'input',
          ...(named ? { columnNames: names } : {}),
          ...(columns ? { columns } : {}),
        };
        const fitNames = named ? names : Array.from({ length: width }, (_, i) => `input[${i}]`);
        const schema = tableFromTensors(
          [{ name: 'input', shape: [1, width], data: new Float64Array(width) }],
          {
            columnNames: fitNames,
            ...(columns && named ? { columns } : {}),
          },
        );
        const data = Float32Array.from({ length: rows * eventWidth }, (_, i) => i + 0.5);
        if (nanAt !== null && data.length > 0) data[nanAt % data.length] = Number.NaN;
        const tensor = { name: 'input', datatype: 'FP32' as const, shape: [rows, eventWidth], data };
        const event = sampleEvent(1, side === 'request' ? { inputs: [tensor] } : { outputs: [tensor] });
        const fast = new EventRowReader(selection, schema).read(event);
        const generic = readEventRows(event, selection, schema);
        if (columns === undefined && eventWidth !== width) {
          // Wider rows are as unreadable as narrower ones, never cut to the fitted width.
          expect(generic).toMatchObject({ ok: false, problem: rows === 0 ? 'empty' : 'width' });
        }
        if (generic.ok) {
          expect(fast).toEqual({ ok: true, values: toRowMajor(generic.table), rows: generic.table.rows });
        } else {
          expect(fast).toEqual(generic);
        }
      }),
    );
  });
});
