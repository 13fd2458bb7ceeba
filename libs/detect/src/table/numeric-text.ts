/**
 * Numbers written as text (CSV cells, BYTES tensor elements) for numeric columns: one rule
 * for every source, so Fit, Score and live windows read the same text as the same number.
 * A decimal as numpy and pandas write it (`1`, `-2.5`, `.5`, `1e-3`) and their spellings of
 * the special floats; nothing else (JavaScript's `Number` would also take `0x10`, `0b1`,
 * `Infinity` spelt its own way and whitespace-only text).
 */

/** A decimal number: optional sign, digits with an optional fraction, optional exponent. */
export const DECIMAL_NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** numpy's and pandas' spellings of the special floats (lower-cased), and their values. */
export const SPECIAL_NUMBER_TEXT: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  '+nan': Number.NaN,
  '-nan': Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/**
 * The number `text` writes (surrounding whitespace ignored), or undefined when it is not one
 * by the rule above. NaN and the infinities come back as such; callers refuse or count them.
 */
export function parseNumericText(text: string): number | undefined {
  const trimmed = text.trim();
  if (DECIMAL_NUMBER_TEXT.test(trimmed)) return Number(trimmed);
  return SPECIAL_NUMBER_TEXT[trimmed.toLowerCase()];
}
