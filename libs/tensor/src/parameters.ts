/**
 * `map<string, InferParameter>` <-> a plain record. int64 and uint64 become bigint (no
 * precision lost), double becomes number, so domain code never sees protobuf messages.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError, quoteName } from '@sightline/errors';

/** A parameter's value in domain code. */
export type ParameterValue = boolean | number | bigint | string;

/** Parameters as domain code sees them. */
export type ParameterRecord = Record<string, ParameterValue>;

/**
 * The one parameter name Sightline neither sends nor accepts: the generated protobuf code
 * keeps maps in plain objects, where an entry named "__proto__" is silently lost.
 */
const RESERVED_NAME_RULE =
  'parameter "__proto__": this name is not accepted (the generated protobuf code keeps maps in plain objects, where it would be dropped); use another name';

const PARAMETER_FIELDS = ['boolParam', 'int64Param', 'stringParam', 'doubleParam', 'uint64Param'] as const;

/**
 * Converts protocol parameters to a plain record: bool -> boolean, int64 and uint64 ->
 * bigint, double -> number, string -> string.
 *
 * @param context - prefixes error messages, e.g. `input "x"`; parameters are named after it.
 * @throws InvalidArgumentError for a parameter with no value or more than one value set, or
 *   one named "__proto__" (see {@link hasReplacedPrototype}).
 */
export function parametersToRecord(
  parameters: { readonly [key: string]: inference.InferParameter } | undefined,
  context?: string,
): ParameterRecord {
  const prefix = context === undefined ? '' : `${context}: `;
  if (parameters !== undefined && hasReplacedPrototype(parameters)) {
    throw new InvalidArgumentError(`${prefix}${RESERVED_NAME_RULE}`);
  }
  const entries: [string, ParameterValue][] = [];
  for (const [key, parameter] of Object.entries(parameters ?? {})) {
    if (key === '__proto__') throw new InvalidArgumentError(`${prefix}${RESERVED_NAME_RULE}`);
    const label = `${prefix}parameter ${quoteName(key)}`;
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
  return Object.fromEntries(entries);
}

/**
 * ts-proto decodes a map entry with `map[key] = value`. For the key "__proto__" that
 * assignment replaces the map object's prototype instead of adding an entry, so the
 * parameter would vanish without a trace; a prototype other than Object's (or none) is
 * the only sign it was there.
 */
function hasReplacedPrototype(parameters: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(parameters);
  return prototype !== Object.prototype && prototype !== null;
}

/**
 * Converts a plain record to protocol parameters: boolean -> bool, number -> double,
 * string -> string, bigint -> int64 when it fits, else uint64. A number always becomes a
 * double (pass a bigint to send an integer), and a uint64 that fits int64 comes back from
 * the wire as int64: the value survives the round trip, the field may not.
 *
 * @throws InvalidArgumentError for a bigint that fits neither int64 nor uint64, a value of
 *   another type, or the name "__proto__".
 */
export function recordToParameters(record: Readonly<ParameterRecord>): {
  [key: string]: inference.InferParameter;
} {
  const entries: [string, inference.InferParameter][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (key === '__proto__') throw new InvalidArgumentError(RESERVED_NAME_RULE);
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
      throw new InvalidArgumentError(`parameter ${quoteName(key)}: ${value} fits neither int64 nor uint64`);
    default:
      throw new InvalidArgumentError(
        `parameter ${quoteName(key)}: a ${typeof value} cannot be sent; use boolean, number, bigint or string`,
      );
  }
}
