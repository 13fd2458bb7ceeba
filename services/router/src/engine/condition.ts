/**
 * Evaluates a switch condition against a payload and the request headers. A value that is
 * missing or of a type the operator cannot compare makes the condition false, as the
 * contract says; it never fails the request.
 */
import type { ParameterValue } from '@sightline/tensor';
import { DEFAULT_MAX_MATCH_INPUT_BYTES, patternMatches } from '../graph/condition-pattern.js';
import type { ConditionSpec } from '../graph/graph-spec.js';
import { ownValue } from '../graph/own-value.js';
import type { Payload } from './routed-tensor.js';

type Scalar = number | string | boolean;

function scalarOf(value: unknown): Scalar | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return undefined;
}

function subjectValue(
  condition: ConditionSpec,
  payload: Payload,
  headers: Readonly<Record<string, string>>,
): Scalar | undefined {
  const subject = condition.subject;
  if (!subject) return undefined;
  if ('parameter' in subject) return scalarOf(ownValue(payload.parameters, subject.parameter));
  if ('header' in subject) return ownValue(headers, subject.header);
  const tensor = payload.tensors.find((t) => t.name === subject.tensor.name);
  if (!tensor) return undefined;
  const data = tensor.tensor().data as ArrayLike<unknown>;
  if (subject.tensor.index >= data.length) return undefined;
  const element = data[subject.tensor.index];
  return tensor.datatype === 'BOOL' ? element === 1 : scalarOf(element);
}

function compare(a: Scalar, b: ParameterValue): number | undefined {
  const other = scalarOf(b);
  if (other === undefined) return undefined;
  if (typeof a === 'number' && typeof other === 'number') return a - other;
  if (
    typeof a === 'number' &&
    typeof other === 'string' &&
    other.trim() !== '' &&
    !Number.isNaN(Number(other))
  ) {
    return a - Number(other);
  }
  if (typeof a === 'string' && typeof other === 'number' && a.trim() !== '' && !Number.isNaN(Number(a))) {
    return Number(a) - other;
  }
  if (typeof a === 'string' && typeof other === 'string') return a < other ? -1 : a > other ? 1 : 0;
  if (typeof a === 'boolean' && typeof other === 'boolean') return a === other ? 0 : Number.NaN;
  return undefined;
}

/**
 * Whether `condition` holds. A `matches` condition reads at most `maxMatchInputBytes` of its
 * value (`--max-match-input-bytes`): a longer value does not match.
 */
export function conditionHolds(
  condition: ConditionSpec,
  payload: Payload,
  headers: Readonly<Record<string, string>>,
  maxMatchInputBytes = DEFAULT_MAX_MATCH_INPUT_BYTES,
): boolean {
  const value = subjectValue(condition, payload, headers);
  if (condition.operator === 'exists') return value !== undefined;
  if (value === undefined) return false;
  const [first] = condition.values;
  const booleanOk = (op: string) => typeof value !== 'boolean' || op === 'eq' || op === 'ne';
  switch (condition.operator) {
    case 'eq':
      return first !== undefined && compare(value, first) === 0;
    case 'ne': {
      const c = first === undefined ? undefined : compare(value, first);
      return c !== undefined && c !== 0;
    }
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      if (first === undefined || !booleanOk(condition.operator)) return false;
      const c = compare(value, first);
      if (c === undefined || Number.isNaN(c)) return false;
      return condition.operator === 'lt'
        ? c < 0
        : condition.operator === 'le'
          ? c <= 0
          : condition.operator === 'gt'
            ? c > 0
            : c >= 0;
    }
    case 'in':
      return condition.values.some((v) => compare(value, v) === 0);
    case 'matches':
      return (
        typeof value === 'string' &&
        first !== undefined &&
        patternMatches(String(first), value, maxMatchInputBytes)
      );
    default:
      return false;
  }
}
