/**
 * `--header k=v` and `--parameter k=v`.
 *
 * A pair splits at its first `=` (the value may hold more). Headers become gRPC metadata:
 * the key is lower-cased and must be a valid ASCII metadata key (`a-z 0-9 - _ .`, not
 * `grpc-`-reserved, not a `-bin` binary key), the value printable ASCII.
 *
 * A parameter's value is typed by this rule, in order:
 *   1. `true` / `false`                 -> bool
 *   2. an integer (`42`, `-7`, `+3`)     -> int64 (outside int64: refused)
 *   3. a decimal or exponent (`0.5`, `1e3`) -> double
 *   4. text in double quotes (`"42"`)   -> the string inside, to send digits as a string
 *   5. anything else                    -> string
 */
import type { ParameterRecord, ParameterValue } from '@sightline/tensor';
import { UsageError } from './usage-error.js';

/**
 * Splits one `k=v` at the first `=`.
 *
 * @throws UsageError naming the flag when there is no `=` or the key is empty.
 */
export function splitKeyValue(entry: string, flag: string): [key: string, value: string] {
  const at = entry.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag}: expected key=value, got ${JSON.stringify(entry)}`);
  return [entry.slice(0, at), entry.slice(at + 1)];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[-+]?\d+$/;
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Types one `--parameter` value by the module's rule.
 *
 * @throws UsageError for an integer outside int64 or a number too large for a double.
 */
export function typedParameter(text: string, key = ''): ParameterValue {
  if (text === 'true' || text === 'false') return text === 'true';
  if (INTEGER.test(text)) {
    const value = BigInt(text);
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new UsageError(
        `--parameter ${key}: ${text} is outside int64; write it as "${text}" to send a string`,
      );
    }
    return value;
  }
  if (DECIMAL.test(text)) {
    const value = Number(text);
    if (!Number.isFinite(value))
      throw new UsageError(`--parameter ${key}: ${text} is too large for a double`);
    return value;
  }
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  return text;
}

/** Parses repeated `--parameter k=v` flags; a key given twice is refused. */
export function parseParameters(entries: readonly string[]): ParameterRecord {
  const record: Record<string, ParameterValue> = {};
  for (const entry of entries) {
    const [key, value] = splitKeyValue(entry, '--parameter');
    // `record.__proto__ = v` sets no key: the parameter would vanish without a word.
    if (key === '__proto__') throw new UsageError(`--parameter ${key}: this name is reserved; use another`);
    if (Object.hasOwn(record, key)) throw new UsageError(`--parameter ${key}: given twice`);
    record[key] = typedParameter(value, key);
  }
  return record;
}

const METADATA_KEY = /^[0-9a-z_.-]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Parses repeated `--header k=v` flags into gRPC metadata (keys lower-cased; each key once,
 * as the SDK sends headers).
 *
 * @throws UsageError naming the header for a key gRPC cannot carry as text, a key given
 *   twice, or a value that is not printable ASCII.
 */
export function parseHeaders(entries: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of entries) {
    const [rawKey, value] = splitKeyValue(entry, '--header');
    const key = rawKey.toLowerCase();
    if (!METADATA_KEY.test(key)) {
      throw new UsageError(`--header ${rawKey}: a key may hold only letters, digits, "-", "_" and "."`);
    }
    if (key.startsWith('grpc-'))
      throw new UsageError(`--header ${rawKey}: "grpc-" keys are reserved by gRPC`);
    if (key.endsWith('-bin'))
      throw new UsageError(`--header ${rawKey}: binary ("-bin") headers are not supported`);
    if (!PRINTABLE_ASCII.test(value)) {
      throw new UsageError(`--header ${rawKey}: the value must be printable ASCII`);
    }
    // `headers.__proto__ = v` sets no key: the header would vanish without a word.
    if (key === '__proto__') throw new UsageError(`--header ${rawKey}: this name is reserved; use another`);
    if (Object.hasOwn(headers, key)) throw new UsageError(`--header ${key}: given twice`);
    headers[key] = value;
  }
  return headers;
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
