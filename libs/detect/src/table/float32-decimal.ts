/**
 * FP32 values read as the decimals they stand for. A model's FP32 input holds 5.1 as
 * 5.099999904632568; a reference read from a CSV holds 5.1. Compared as they are, the two
 * are never tied, so a KS or CVM p-value of live FP32 rows differs from `drift score` of the
 * same rows in a CSV. Every FP32 element is therefore read as the shortest decimal that
 * rounds back to the same float32 (what numpy prints for a float32): 5.1 again. A decimal of
 * up to 6 significant digits (what float32 always holds) comes back exactly; other values
 * become the float32's shortest decimal, which is as close to the original as FP32 allows.
 * FP64, integers and the 16-bit floats are read as they are.
 */

/** Most significant digits a float32 needs to round-trip (FLT_DECIMAL_DIG). */
export const FLOAT32_ROUND_TRIP_DIGITS = 9;

/** Integers up to this size are float32 values that are their own shortest decimal. */
const FLOAT32_EXACT_INTEGER = 2 ** 24;

/**
 * The shortest decimal (as a float64) that rounds to the float32 `value`; `value` itself
 * when it is a small integer or not finite (already exact). `value` must be a float32 value
 * (any element of a Float32Array is); another number comes back unchanged.
 */
export function float32Decimal(value: number): number {
  if (!Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) <= FLOAT32_EXACT_INTEGER))
    return value;
  // The candidate of p digits is m / 10^k with m = round(value * 10^k): an integer over an
  // exact power of ten, so the division gives the double nearest that decimal, as parsing
  // its text would, without building strings (this runs for every FP32 element read).
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  for (let digits = 1; digits <= FLOAT32_ROUND_TRIP_DIGITS; digits++) {
    const k = digits - 1 - magnitude;
    if (k > MAX_EXACT_POWER || k < -MAX_EXACT_POWER) return viaText(value);
    const decimal =
      k >= 0 ? Math.round(value * POW10[k]!) / POW10[k]! : Math.round(value / POW10[-k]!) * POW10[-k]!;
    if (Math.fround(decimal) === value) return decimal;
  }
  return value;
}

/** Powers of ten that doubles hold exactly (10^0 .. 10^22). */
const MAX_EXACT_POWER = 22;
const POW10 = Float64Array.from({ length: MAX_EXACT_POWER + 1 }, (_, i) => 10 ** i);

/** The same for values beyond the exact powers of ten (tiny or huge): through text. */
function viaText(value: number): number {
  for (let digits = 1; digits <= FLOAT32_ROUND_TRIP_DIGITS; digits++) {
    const decimal = Number(value.toPrecision(digits));
    if (Math.fround(decimal) === value) return decimal;
  }
  return value;
}
