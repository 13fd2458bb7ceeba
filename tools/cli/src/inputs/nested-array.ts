/**
 * Nested JSON arrays -> shape and row-major elements, checking the array is rectangular and
 * its leaves all of one kind (numbers, booleans or strings).
 */
import { UsageError } from '../frame/usage-error.js';
import type { ParsedValues } from './parsed-input.js';

/** The most dimensions a nested array may have (as the services' default rank limit). */
export const MAX_NESTED_RANK = 32;

/**
 * Flattens `value` (a nested array, or one scalar) into its shape and elements.
 *
 * @param source - names the flag or file in error messages.
 * @throws UsageError for ragged rows, mixed or non-scalar leaves, or an empty innermost
 *   array with no elements to type.
 */
export function flattenNested(value: unknown, source: string): { shape: number[]; data: ParsedValues } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (shape.length > MAX_NESTED_RANK)
      throw new UsageError(`${source}: more than ${MAX_NESTED_RANK} dimensions`);
    probe = probe[0];
  }
  const leaves: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node))
        throw new UsageError(`${source}: ${path} is an array where a value was expected (ragged nesting)`);
      leaves.push(node);
      return;
    }
    if (!Array.isArray(node))
      throw new UsageError(`${source}: ${path} is a value where an array of ${shape[depth]} was expected`);
    if (node.length !== shape[depth]) {
      throw new UsageError(
        `${source}: ${path} has ${node.length} elements, expected ${shape[depth]} as in the first row`,
      );
    }
    for (const [index, child] of node.entries()) walk(child, depth + 1, `${path}[${index}]`);
  };
  walk(value, 0, 'data');
  return { shape, data: leavesToValues(leaves, source) };
}

/** Types a flat list of JSON leaves: all numbers, all booleans or all strings. */
export function leavesToValues(leaves: readonly unknown[], source: string): ParsedValues {
  const first = leaves[0];
  const kind = typeof first;
  if (leaves.length === 0) return { kind: 'number', values: [] };
  if (kind !== 'number' && kind !== 'boolean' && kind !== 'string') {
    throw new UsageError(
      `${source}: elements must be numbers, booleans or strings, got ${JSON.stringify(first)}`,
    );
  }
  const index = leaves.findIndex((leaf) => typeof leaf !== kind);
  if (index !== -1) {
    throw new UsageError(
      `${source}: element ${index} is ${JSON.stringify(leaves[index])}, but the first is a ${kind}; all must be of one kind`,
    );
  }
  if (kind === 'number') return { kind, values: leaves as number[] };
  if (kind === 'boolean') return { kind, values: leaves as boolean[] };
  return { kind: 'string', values: leaves as string[] };
}
