/**
 * Select-then-rename of a sequence step's input tensors.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { TensorMappingSpec } from '../graph/graph-spec.js';
import { ownValue } from '../graph/own-value.js';
import type { RoutedTensor } from './routed-tensor.js';

/** Applies `mapping`; a selected name that is not present is INVALID_ARGUMENT naming node and tensor. */
export function applyMapping(
  tensors: readonly RoutedTensor[],
  mapping: TensorMappingSpec | undefined,
  node: string,
): RoutedTensor[] {
  if (!mapping) return [...tensors];
  let kept: RoutedTensor[] = [...tensors];
  if (mapping.select.length > 0) {
    kept = mapping.select.map((name) => {
      const found = tensors.find((t) => t.name === name);
      if (!found) {
        throw new InvalidArgumentError(
          `node ${quoteName(node)}: mapping selects tensor ${quoteName(name)} but the input has ${tensors.map((t) => quoteName(t.name)).join(', ') || 'no tensors'}`,
        );
      }
      return found;
    });
  }
  return kept.map((t) => t.renamed(ownValue(mapping.rename, t.name) ?? t.name));
}

/** Merges two tensor lists; on a name clash the second wins. */
export function mergeTensors(
  first: readonly RoutedTensor[],
  second: readonly RoutedTensor[],
): RoutedTensor[] {
  const names = new Set(second.map((t) => t.name));
  return [...first.filter((t) => !names.has(t.name)), ...second];
}
