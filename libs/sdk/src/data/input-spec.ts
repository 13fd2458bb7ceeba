/** The signature of a detector's reference input, in plain form (drift and outlier alike). */
import type { commonV1 } from '@sightline/contracts';

/** The signature of one reference input (row shape without the row dimension). */
export interface InputSpec {
  /** The name. */
  readonly name: string;
  /** The OIP datatype (FP64, BYTES, ...). */
  readonly datatype: string;
  /** The shape of one row (the tensor's shape without its first dimension). */
  readonly rowShape: readonly number[];
}

/** The plain spec of a contract's one. */
export function inputSpecOf(spec: commonV1.TensorSpec): InputSpec {
  return { name: spec.name, datatype: spec.datatype, rowShape: spec.rowShape.map(Number) };
}
