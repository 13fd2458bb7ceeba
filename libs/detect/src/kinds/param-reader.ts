/**
 * Reads a kind's parameters from caller input (an RPC's map, a CLI's flags) once, with
 * every default written out, refusing unknown names and out-of-range values with a message
 * naming the parameter and the rule.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { JsonObject, JsonValue } from './detector-kind.js';

/** Collects the resolved parameters of one kind while reading them. */
export class ParamReader {
  private readonly resolved: JsonObject = {};

  constructor(
    private readonly kind: string,
    private readonly raw: Readonly<Record<string, unknown>>,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(raw)) {
      if (raw[key] !== undefined && !allowed.includes(key)) {
        throw this.error(key, `is not a parameter of this kind; its parameters are ${allowed.join(', ')}`);
      }
    }
  }

  /** The parameters read so far, defaults included. */
  get params(): JsonObject {
    return this.resolved;
  }

  error(key: string, rule: string): InvalidArgumentError {
    return new InvalidArgumentError(`kind ${quoteName(this.kind)}: parameter ${quoteName(key)} ${rule}`, {
      field: `params.${key}`,
    });
  }

  /** A number in `[min, max]` (exclusive ends where asked), integer where asked. */
  number(
    key: string,
    fallback: number,
    rule: {
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      exclusiveMax?: boolean;
      integer?: boolean;
    } = {},
  ): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw this.error(key, `must be a finite number, got ${String(v)}`);
    if (rule.integer && !Number.isInteger(v)) throw this.error(key, `must be an integer, got ${v}`);
    const lowOk = rule.min === undefined || (rule.exclusiveMin ? v > rule.min : v >= rule.min);
    const highOk = rule.max === undefined || (rule.exclusiveMax ? v < rule.max : v <= rule.max);
    if (!lowOk || !highOk) {
      const lo = rule.min === undefined ? '(-inf' : `${rule.exclusiveMin ? '(' : '['}${rule.min}`;
      const hi = rule.max === undefined ? 'inf)' : `${rule.max}${rule.exclusiveMax ? ')' : ']'}`;
      throw this.error(key, `must be in ${lo}, ${hi}, got ${v}`);
    }
    this.resolved[key] = v;
    return v;
  }

  /** A number, or absent (left out of the resolved parameters). */
  optionalNumber(key: string, rule: Parameters<ParamReader['number']>[2] = {}): number | undefined {
    if (this.raw[key] === undefined) return undefined;
    return this.number(key, 0, rule);
  }

  /** One of `values`. */
  oneOf<T extends string>(key: string, fallback: T, values: readonly T[]): T {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      throw this.error(key, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    }
    this.resolved[key] = v;
    return v as T;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') throw this.error(key, `must be true or false, got ${JSON.stringify(v)}`);
    this.resolved[key] = v;
    return v;
  }

  /** An object whose values are each one of `values`, or absent. */
  record<T extends string>(key: string, values: readonly T[]): Record<string, T> {
    const v = this.raw[key];
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.error(key, 'must be an object');
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string' || !values.includes(x as T)) {
        throw this.error(key, `entry ${quoteName(k)} must be one of ${values.join(', ')}`);
      }
      out[k] = x as T;
    }
    this.resolved[key] = out;
    return out;
  }

  /** A plain JSON object value kept as given after `check`, or absent. */
  json<T>(key: string, check: (v: unknown) => T | string): T | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    const checked = check(v);
    if (typeof checked === 'string') throw this.error(key, checked);
    this.resolved[key] = checked as JsonValue;
    return checked;
  }
}
