/**
 * Reads the rows of event after event for one selection and fitted schema, as row-major
 * values: the live path, where every event costs. Which source feature feeds each fitted
 * column is worked out once per tensor width (by reading a probe row through
 * `tableFromTensors`, so it follows exactly the same naming and picking rules); numeric
 * tensors are then copied directly. Anything else (strings, half floats, a bad cell) goes
 * through `readEventRows`, which gives the exact problem and message.
 */
import type { InferenceEvent } from '@sightline/events';
import { STATUS_OK } from '@sightline/events';
import type { TableInputProblem, TableSchema } from './feature-table.js';
import { toRowMajor } from './feature-table.js';
import { float32Decimal } from './float32-decimal.js';
import { type EventSelection, readEventRows } from './table-from-events.js';
import { type NonFinitePolicy, tableFromTensors } from './table-from-tensors.js';

/** One event's rows, or why it could not be read. */
export type EventRowValues =
  | {
      readonly ok: true;
      /** Row-major, `rows * schema.names.length` values. */
      readonly values: Float64Array;
      readonly rows: number;
      readonly typeViolations?: readonly number[];
    }
  | { readonly ok: false; readonly problem: TableInputProblem; readonly message: string };

/** Tensor names and widths whose column mapping is remembered (a stream rarely has more than one). */
export const MAX_REMEMBERED_TENSOR_LAYOUTS = 8;

/** Reads events for one selection and schema. */
export class EventRowReader {
  private readonly fastPath: boolean;
  /** Per tensor name and width: the source feature of each fitted column, or null for the generic path. */
  private readonly mappings = new Map<string, Int32Array | null>();

  constructor(
    private readonly selection: EventSelection,
    private readonly schema: TableSchema,
    private readonly nonFinite: NonFinitePolicy = 'refuse',
  ) {
    this.fastPath = nonFinite === 'refuse' && schema.dictionaries.every((d) => d === null);
  }

  /** The event's selected rows. Never throws for bad input. */
  read(event: InferenceEvent): EventRowValues {
    const tensors = this.selection.side === 'request' ? event.inputs : event.outputs;
    const tensor =
      this.selection.tensor === undefined
        ? tensors[0]
        : tensors.find((t) => t.name === this.selection.tensor);
    const data = tensor?.data;
    if (
      this.fastPath &&
      tensor !== undefined &&
      (this.selection.side === 'request' || event.statusCode === STATUS_OK) &&
      tensor.shape.length >= 1 &&
      ArrayBuffer.isView(data) &&
      tensor.datatype !== 'FP16' &&
      tensor.datatype !== 'BF16'
    ) {
      const rows = tensor.shape[0]!;
      let width = 1;
      let integral = Number.isInteger(rows);
      for (let i = 1; i < tensor.shape.length; i++) {
        const d = tensor.shape[i]!;
        integral &&= Number.isInteger(d) && d >= 0;
        width *= d;
      }
      const fits = integral && rows > 0 && (data as ArrayLike<unknown>).length === rows * width;
      const mapping = fits ? this.mappingFor(tensor.name, width) : null;
      if (mapping !== null) {
        const values = this.copy(
          data as ArrayLike<number | bigint>,
          rows,
          width,
          mapping,
          data instanceof Float32Array || tensor.datatype === 'FP32',
        );
        if (values !== null) return { ok: true, values, rows };
      }
    }
    const read = readEventRows(event, this.selection, this.schema, this.nonFinite);
    if (!read.ok) return read;
    return {
      ok: true,
      values: toRowMajor(read.table),
      rows: read.table.rows,
      ...(read.table.typeViolations ? { typeViolations: read.table.typeViolations } : {}),
    };
  }

  /** Row-major values, or null at the first non-finite value (the generic path names it). */
  private copy(
    data: ArrayLike<number | bigint>,
    rows: number,
    width: number,
    mapping: Int32Array,
    float32: boolean,
  ): Float64Array | null {
    const cols = mapping.length;
    const values = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = Number(data[r * width + mapping[c]!]!);
        if (!Number.isFinite(v)) return null;
        // The same reading as tableFromTensors (float32-decimal.ts), so live rows tie with a CSV's.
        values[r * cols + c] = float32 ? float32Decimal(v) : v;
      }
    }
    return values;
  }

  private mappingFor(name: string, width: number): Int32Array | null {
    const key = `${name}\u0000${width}`;
    const known = this.mappings.get(key);
    if (known !== undefined) return known;
    let mapping: Int32Array | null;
    try {
      // A probe row whose feature i holds i: the table built from it says which feature each column reads.
      const probe = tableFromTensors(
        [{ name, shape: [1, width], data: Float64Array.from({ length: width }, (_, i) => i) }],
        {
          ...(this.selection.columnNames ? { columnNames: this.selection.columnNames } : {}),
          ...(this.selection.columns ? { columns: this.selection.columns } : {}),
          schema: this.schema,
        },
      );
      mapping = Int32Array.from(probe.columns.map((c) => c[0]!));
    } catch {
      mapping = null;
    }
    if (this.mappings.size >= MAX_REMEMBERED_TENSOR_LAYOUTS) this.mappings.clear();
    this.mappings.set(key, mapping);
    return mapping;
  }
}
