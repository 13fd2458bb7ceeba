import { InvalidArgumentError } from '@sightline/errors';

/** A class label: a string or an integer (scikit-learn's label types; floats are not class labels). */
export type ClassLabel = string | number;

/**
 * The classes of a task in a fixed order (the confusion matrix's rows and columns, the
 * probability columns) and the index of each.
 */
export interface ClassIndex {
  readonly classes: readonly ClassLabel[];
  readonly indexOf: ReadonlyMap<ClassLabel, number>;
}

/**
 * scikit-learn's `unique_labels` order: the distinct labels sorted, integers ascending by value,
 * strings by UTF-16 code units (numpy sorts by code point; the two agree outside the astral
 * planes). Integers and strings together are refused, as scikit-learn refuses a "Mix of label
 * input types".
 * @throws InvalidArgumentError naming the field and row of a non-integer number or a mixed label.
 */
export function sortedClasses(
  ...fields: ReadonlyArray<readonly [string, readonly ClassLabel[]]>
): ClassLabel[] {
  const seen = new Set<ClassLabel>();
  let kind: 'string' | 'number' | undefined;
  for (const [name, labels] of fields) {
    labels.forEach((label, row) => {
      checkLabel(label, `${name}[${row}]`);
      const labelKind = typeof label === 'string' ? 'string' : 'number';
      if (kind !== undefined && kind !== labelKind) {
        throw new InvalidArgumentError(
          `${name}[${row}]: label ${JSON.stringify(label)} is a ${labelKind} but earlier labels are ${kind}s (one label type per task)`,
        );
      }
      kind = labelKind;
      seen.add(label);
    });
  }
  const classes = [...seen];
  if (kind === 'number') (classes as number[]).sort((a, b) => a - b);
  else (classes as string[]).sort();
  return classes;
}

/**
 * The index of a class list given in the caller's order.
 * @throws InvalidArgumentError on an empty list, a repeated class or a bad label, naming `field`.
 */
export function classIndex(classes: readonly ClassLabel[], field = 'classes'): ClassIndex {
  if (classes.length === 0) throw new InvalidArgumentError(`${field}: at least one class is required`);
  const indexOf = new Map<ClassLabel, number>();
  classes.forEach((label, k) => {
    checkLabel(label, `${field}[${k}]`);
    if (indexOf.has(label))
      throw new InvalidArgumentError(`${field}[${k}]: class ${JSON.stringify(label)} is repeated`);
    indexOf.set(label, k);
  });
  return { classes: [...classes], indexOf };
}

/**
 * The class indices of `labels`.
 * @throws InvalidArgumentError naming `field[row]` for a label outside the classes.
 */
export function encodeLabels(index: ClassIndex, labels: readonly ClassLabel[], field: string): Int32Array {
  const out = new Int32Array(labels.length);
  labels.forEach((label, row) => {
    out[row] = labelIndex(index, label, `${field}[${row}]`);
  });
  return out;
}

/**
 * The class index of one label.
 * @throws InvalidArgumentError naming `field` for a label outside the classes.
 */
export function labelIndex(index: ClassIndex, label: ClassLabel, field: string): number {
  const k = index.indexOf.get(label);
  if (k === undefined) {
    throw new InvalidArgumentError(
      `${field}: label ${JSON.stringify(label)} is not one of the classes (${index.classes.map((c) => JSON.stringify(c)).join(', ')})`,
    );
  }
  return k;
}

function checkLabel(label: ClassLabel, field: string): void {
  if (typeof label === 'string') return;
  if (typeof label !== 'number' || !Number.isSafeInteger(label)) {
    throw new InvalidArgumentError(`${field}: a label must be a string or an integer, got ${String(label)}`);
  }
}
