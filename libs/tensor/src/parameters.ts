/**
 * `map<string, InferParameter>` <-> a plain record. int64 and uint64 become bigint (no
 * precision lost), double becomes number, so domain code never sees protobuf messages.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** A parameter's value in domain code. */
export type ParameterValue = boolean | number | bigint | string;

/** Parameters as domain code sees them. */
export type ParameterRecord = Record<string, ParameterValue>;

const PARAMETER_FIELDS = ['boolParam', 'int64Param', 'stringParam', 'doubleParam', 'uint64Param'] as const;

/**
 * Converts protocol parameters to a plain record: bool -> boolean, int64 and uint64 ->
 * bigint, double -> number, string -> string.
 *
 * @param context - prefixes error messages, e.g. `input "x"`; parameters are named after it.
 * @throws InvalidArgumentError for a parameter with no value or more than one value set.
 */
export function parametersToRecord(
  parameters: { readonly [key: string]: inference.InferParameter } | undefined,
  context?: string,
): ParameterRecord {
  const entries: [string, ParameterValue][] = [];
  for (const [key, parameter] of Object.entries(parameters ?? {})) {
    const label = `${context === undefined ? '' : `${context}: `}parameter ${JSON.stringify(key)}`;
    const set = PARAMETER_FIELDS.filter((field) => parameter?.[field] !== undefined);
    if (set.length !== 1) {
      throw new InvalidArgumentError(
        set.length === 0
          ? `${label}: has no value`
          : `${label}: has ${set.length} values (${set.join(', ')}); expected one`,
      );
    }
    entries.push([key, parameter[set[0]!]!]);
  }
  // fromEntries defines own properties, so a key like "__proto__" stays a plain key.
  return Object.fromEntries(entries);
}

/**
 * Converts a plain record to protocol parameters: boolean -> bool, number -> double,
 * string -> string, bigint -> int64 when it fits, else uint64. A number always becomes a
 * double (pass a bigint to send an integer), and a uint64 that fits int64 comes back from
 * the wire as int64: the value survives the round trip, the field may not.
 *
 * @throws InvalidArgumentError for a bigint that fits neither int64 nor uint64, or a value
 *   of another type.
 */
export function recordToParameters(record: Readonly<ParameterRecord>): {
  [key: string]: inference.InferParameter;
} {
  const entries: [string, inference.InferParameter][] = [];
  for (const [key, value] of Object.entries(record)) {
    entries.push([key, toParameter(key, value)]);
  }
  return Object.fromEntries(entries);
}

function toParameter(key: string, value: unknown): inference.InferParameter {
  switch (typeof value) {
    case 'boolean':
      return { boolParam: value };
    case 'number':
      return { doubleParam: value };
    case 'string':
      return { stringParam: value };
    case 'bigint':
      if (BigInt.asIntN(64, value) === value) return { int64Param: value };
      if (BigInt.asUintN(64, value) === value) return { uint64Param: value };
      throw new InvalidArgumentError(
        `parameter ${JSON.stringify(key)}: ${value} fits neither int64 nor uint64`,
      );
    default:
      throw new InvalidArgumentError(
        `parameter ${JSON.stringify(key)}: a ${typeof value} cannot be sent; use boolean, number, bigint or string`,
      );
  }
}
