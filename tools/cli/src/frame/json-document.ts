/**
 * Turns what commands return (bigints, typed arrays, dates, maps) into plain JSON values,
 * so `--json` prints one document any JSON parser reads.
 *
 * Rules: a bigint within ±(2^53 - 1) is a number, a larger one a string (JSON numbers lose
 * precision past that, and jq reads them as doubles); a typed array is an array of numbers
 * (bigint elements as above); a Date is its ISO-8601 text; a Map is an object; undefined
 * fields are left out.
 */

/** Any value JSON can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function fromBigint(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** The plain JSON form of a command's result (see the module's rules). */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      // JSON has no NaN or infinities; a string keeps them readable.
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return fromBigint(value);
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (element) => toJsonValue(element));
  }
  if (Array.isArray(value)) return value.map((element) => toJsonValue(element));
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  }
  const out: { [key: string]: JsonValue } = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) out[key] = toJsonValue(field);
  }
  return out;
}

/** The document as printed by `--json`: two-space indented, one trailing newline. */
export function formatJsonDocument(value: unknown): string {
  return `${JSON.stringify(toJsonValue(value), null, 2)}\n`;
}
