/**
 * FP16 and BF16 bit patterns -> numbers, for clients that show or convert them (the SDK's
 * `toNested()`, the CLI's NPY `f2` input). Tensors keep the patterns (no lossy conversion on
 * the wire); only a caller asking for plain numbers gets these.
 */

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** An IEEE 754 binary16 pattern as a number (subnormals, infinities and NaN included). */
export function fp16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A bfloat16 pattern (the top half of a binary32) as a number. */
export function bf16ToNumber(bits: number): number {
  f32Bits[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}
