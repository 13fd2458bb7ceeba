/** The typed array class that stores each fixed-width datatype (see `TensorDataByType`). */
import { DATATYPE_INFO, type FixedWidthDatatype, type TypedArrayClass } from './datatype.js';
import { DATATYPES, type TensorDataByType } from './types.js';

export type { TypedArrayClass } from './datatype.js';

/** A typed array of any fixed-width datatype. */
export type FixedWidthData = TensorDataByType[FixedWidthDatatype];

/** Each fixed-width datatype's storage class, read off the datatype table once. */
export const TYPED_ARRAY_CLASS = Object.freeze(
  Object.fromEntries(
    DATATYPES.filter((d): d is FixedWidthDatatype => d !== 'BYTES').map((d) => [
      d,
      DATATYPE_INFO[d].arrayClass,
    ]),
  ),
) as { readonly [D in FixedWidthDatatype]: TypedArrayClass<TensorDataByType[D]> };
