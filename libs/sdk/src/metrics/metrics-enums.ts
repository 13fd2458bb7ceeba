/**
 * The metrics contract's enums in plain form: lower-case names without the enum's prefix
 * (`FEEDBACK_STATUS_JOINED` is `joined`, `ALERT_METRIC_MACRO_F1` is `macro_f1`), read and
 * written through the generated `xxxToJSON` / `xxxFromJSON`, so a value added to the
 * contract comes through by its name without a change here.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** The plain name of an enum value given its JSON name and the enum's prefix. */
export function enumName(json: string, prefix: string): string {
  return (json.startsWith(prefix) ? json.slice(prefix.length) : json).toLowerCase();
}

/** Reads and writes one enum by plain name. */
export interface EnumCodec<E extends number> {
  /** The plain name of a value (`unrecognized` for a number this SDK's contract lacks). */
  name(value: E): string;
  /**
   * The value of a plain name.
   * @throws InvalidArgumentError naming `field` and the names it accepts.
   */
  value(name: string, field: string): E;
  /** Every plain name but `unspecified`. */
  readonly names: readonly string[];
}

/** A codec for a generated enum: its object, its prefix and its JSON functions. */
export function enumCodec<E extends number>(
  values: Record<string, string | number>,
  prefix: string,
  toJSON: (value: E) => string,
  fromJSON: (object: unknown) => E,
): EnumCodec<E> {
  const names = Object.keys(values)
    .filter((key) => Number.isNaN(Number(key)) && key !== 'UNRECOGNIZED')
    .map((key) => enumName(key, prefix))
    .filter((name) => name !== 'unspecified');
  return {
    names,
    name: (value) => enumName(toJSON(value), prefix),
    value(name, field) {
      const normalized = name.trim().toLowerCase().replaceAll('-', '_');
      if (!names.includes(normalized)) {
        throw new InvalidArgumentError(
          `${field}: must be one of ${names.join(', ')}, got ${JSON.stringify(name)}`,
          {
            field,
          },
        );
      }
      return fromJSON(`${prefix}${normalized.toUpperCase()}`);
    },
  };
}
