/**
 * Ensemble combiners over decoded tensors: element-wise mean and weighted mean, majority
 * vote per row, and concatenation along an axis. Mismatches between members are
 * INVALID_ARGUMENT naming the node, the member and the tensor.
 */
import { InvalidArgumentError, quoteName, UnimplementedError } from '@sightline/errors';
import { createTensor, type Datatype, elementCount, type Tensor } from '@sightline/tensor';
import type { Combiner } from '../graph/graph-spec.js';
import { RoutedTensor } from './routed-tensor.js';

/** One member's answer. */
export interface MemberOutput {
  readonly member: string;
  readonly weight: number;
  readonly tensors: readonly RoutedTensor[];
}

const FLOAT_TYPES = new Set<Datatype>(['FP32', 'FP64']);
const INTEGER_TYPES = new Set<Datatype>([
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'BOOL',
]);

function numbers(tensor: Tensor): ArrayLike<number> {
  const data = tensor.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return data as ArrayLike<number>;
}

function checkNumeric(node: string, member: string, tensor: Tensor): void {
  if (!FLOAT_TYPES.has(tensor.datatype) && !INTEGER_TYPES.has(tensor.datatype)) {
    throw new InvalidArgumentError(
      `node ${quoteName(node)}: member ${quoteName(member)} tensor ${quoteName(tensor.name)} is ${tensor.datatype}; this combiner needs FP32, FP64 or integer tensors`,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The tensor names combined: the spec's, else every name all members return, in the first member's order. */
function combinedNames(node: string, members: readonly MemberOutput[], wanted: readonly string[]): string[] {
  if (wanted.length > 0) return [...wanted];
  const first = members[0]!.tensors.map((t) => t.name);
  const names = first.filter((n) => members.every((m) => m.tensors.some((t) => t.name === n)));
  if (names.length === 0)
    throw new InvalidArgumentError(`node ${quoteName(node)}: the members return no tensor name in common`);
  return names;
}

function memberTensor(node: string, member: MemberOutput, name: string): Tensor {
  const found = member.tensors.find((t) => t.name === name);
  if (!found) {
    throw new InvalidArgumentError(
      `node ${quoteName(node)}: member ${quoteName(member.member)} returned no tensor ${quoteName(name)}`,
    );
  }
  return found.tensor();
}

function mean(node: string, name: string, members: readonly MemberOutput[], weighted: boolean): Tensor {
  const tensors = members.map((m) => memberTensor(node, m, name));
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    checkNumeric(node, members[i]!.member, t);
    if (!sameShape(t.shape, first.shape)) {
      throw new InvalidArgumentError(
        `node ${quoteName(node)}: member ${quoteName(members[i]!.member)} tensor ${quoteName(name)} has shape [${t.shape.join(',')}], member ${quoteName(members[0]!.member)} has [${first.shape.join(',')}]; mean needs equal shapes`,
      );
    }
  });
  const weights = members.map((m) => (weighted ? m.weight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(elementCount(first.shape));
  tensors.forEach((t, i) => {
    const values = numbers(t);
    const w = weights[i]! / total;
    for (let k = 0; k < out.length; k++) out[k]! += values[k]! * w;
  });
  return tensors.every((t) => t.datatype === 'FP32')
    ? createTensor(name, 'FP32', first.shape, Float32Array.from(out))
    : createTensor(name, 'FP64', first.shape, out);
}

function majorityVote(node: string, name: string, members: readonly MemberOutput[]): Tensor {
  const labelsPerMember = members.map((m) => {
    const t = memberTensor(node, m, name);
    checkNumeric(node, m.member, t);
    const values = numbers(t);
    if (FLOAT_TYPES.has(t.datatype)) {
      const classes = t.shape[t.shape.length - 1] ?? 1;
      const rows = classes === 0 ? 0 : values.length / classes;
      const labels: number[] = [];
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let c = 1; c < classes; c++)
          if (values[r * classes + c]! > values[r * classes + best]!) best = c;
        labels.push(best);
      }
      return labels;
    }
    return Array.from(values);
  });
  const rows = labelsPerMember[0]!.length;
  labelsPerMember.forEach((labels, i) => {
    if (labels.length !== rows) {
      throw new InvalidArgumentError(
        `node ${quoteName(node)}: member ${quoteName(members[i]!.member)} tensor ${quoteName(name)} has ${labels.length} rows, member ${quoteName(members[0]!.member)} has ${rows}`,
      );
    }
  });
  const out = new BigInt64Array(rows);
  for (let r = 0; r < rows; r++) {
    const counts = new Map<number, number>();
    for (const labels of labelsPerMember) counts.set(labels[r]!, (counts.get(labels[r]!) ?? 0) + 1);
    let best = Number.POSITIVE_INFINITY;
    let bestCount = -1;
    for (const [label, count] of counts) {
      if (count > bestCount || (count === bestCount && label < best)) {
        best = label;
        bestCount = count;
      }
    }
    out[r] = BigInt(best);
  }
  return createTensor(name, 'INT64', [rows], out);
}

function concat(node: string, name: string, members: readonly MemberOutput[], axisSetting: number): Tensor {
  const tensors = members.map((m) => memberTensor(node, m, name));
  const first = tensors[0]!;
  const rank = first.shape.length;
  const axis = axisSetting < 0 ? rank + axisSetting : axisSetting;
  if (axis < 0 || axis >= rank) {
    throw new InvalidArgumentError(
      `node ${quoteName(node)}: concat_axis ${axisSetting} is outside tensor ${quoteName(name)} of rank ${rank}`,
    );
  }
  tensors.forEach((t, i) => {
    const ok =
      t.datatype === first.datatype &&
      t.shape.length === rank &&
      t.shape.every((d, k) => k === axis || d === first.shape[k]);
    if (!ok) {
      throw new InvalidArgumentError(
        `node ${quoteName(node)}: member ${quoteName(members[i]!.member)} tensor ${quoteName(name)} is ${t.datatype} [${t.shape.join(',')}], not concatenable with ${first.datatype} [${first.shape.join(',')}] along axis ${axis}`,
      );
    }
  });
  const outer = first.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = first.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = [...first.shape];
  shape[axis] = tensors.reduce((s, t) => s + t.shape[axis]!, 0);
  const parts: unknown[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of tensors) {
      const block = t.shape[axis]! * inner;
      const data = t.data as unknown as { slice(a: number, b: number): ArrayLike<unknown> };
      parts.push(...Array.from(data.slice(o * block, (o + 1) * block)));
    }
  }
  const data =
    first.datatype === 'BYTES'
      ? (parts as Uint8Array[])
      : new (first.data.constructor as { new (values: unknown[]): unknown })(parts);
  return createTensor(name, first.datatype, shape, data as never) as Tensor;
}

/** Combines the members' outputs. */
export function combine(
  node: string,
  combiner: Exclude<Combiner, 'model'>,
  members: readonly MemberOutput[],
  options: { readonly tensors: readonly string[]; readonly concatAxis: number },
): RoutedTensor[] {
  if (members.length === 0) throw new InvalidArgumentError(`node ${quoteName(node)}: no member answered`);
  const names = combinedNames(node, members, options.tensors);
  return names.map((name) => {
    switch (combiner) {
      case 'mean':
        return RoutedTensor.fromTensor(mean(node, name, members, false));
      case 'weighted_mean':
        return RoutedTensor.fromTensor(mean(node, name, members, true));
      case 'majority_vote':
        return RoutedTensor.fromTensor(majorityVote(node, name, members));
      case 'concat':
        return RoutedTensor.fromTensor(concat(node, name, members, options.concatAxis));
      default:
        throw new UnimplementedError(
          `node ${quoteName(node)}: combiner "${String(combiner)}" is not supported`,
        );
    }
  });
}
