/** The columns of examples/data/iris.csv, in order. */
export const IRIS_CSV_HEADER = [
  'sepal_length',
  'sepal_width',
  'petal_length',
  'petal_width',
  'species',
] as const;

/** Measurements per flower (the four numeric columns). */
export const IRIS_FEATURE_COUNT = 4;

/** Species are coded 0 (setosa), 1 (versicolor), 2 (virginica). */
export const IRIS_CLASS_COUNT = 3;

/** The iris data in the layout a model takes: row-major features, one label per row. */
export interface IrisDataset {
  /** Rows in the data set. */
  readonly rowCount: number;
  /** `rowCount x IRIS_FEATURE_COUNT` measurements in centimetres, row-major. */
  readonly features: Float32Array;
  /** The species code of each row, 0..IRIS_CLASS_COUNT-1. */
  readonly labels: Int32Array;
}

/**
 * Parses examples/data/iris.csv (header, then four numbers and a species code per line).
 *
 * @throws Error naming the line and the rule when the header or a row does not match.
 */
export function parseIrisCsv(text: string): IrisDataset {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',').map((cell) => cell.trim());
  if (header === undefined || header.join(',') !== IRIS_CSV_HEADER.join(',')) {
    throw new Error(
      `iris csv: line 1: expected header "${IRIS_CSV_HEADER.join(',')}", got "${lines[0] ?? ''}"`,
    );
  }
  const rows = lines.slice(1);
  const features = new Float32Array(rows.length * IRIS_FEATURE_COUNT);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, row) => {
    const where = `iris csv: line ${row + 2}`;
    const cells = line.split(',');
    if (cells.length !== IRIS_CSV_HEADER.length) {
      throw new Error(`${where}: expected ${IRIS_CSV_HEADER.length} columns, got ${cells.length}`);
    }
    for (let column = 0; column < IRIS_FEATURE_COUNT; column++) {
      const value = Number(cells[column]);
      if (cells[column]!.trim() === '' || !Number.isFinite(value)) {
        throw new Error(`${where}: ${IRIS_CSV_HEADER[column]}: expected a number, got "${cells[column]}"`);
      }
      features[row * IRIS_FEATURE_COUNT + column] = value;
    }
    const label = Number(cells[IRIS_FEATURE_COUNT]);
    if (!Number.isInteger(label) || label < 0 || label >= IRIS_CLASS_COUNT) {
      throw new Error(
        `${where}: species: expected an integer 0..${IRIS_CLASS_COUNT - 1}, got "${cells[IRIS_FEATURE_COUNT]}"`,
      );
    }
    labels[row] = label;
  });
  return { rowCount: rows.length, features, labels };
}

/**
 * The share of rows whose highest-scoring class is the label.
 *
 * @param scores - `labels.length x classCount` scores (probabilities or logits), row-major.
 */
export function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, classCount: number): number {
  if (scores.length !== labels.length * classCount) {
    throw new Error(
      `accuracy: expected ${labels.length * classCount} scores (${labels.length} rows x ${classCount}), got ${scores.length}`,
    );
  }
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let k = 1; k < classCount; k++) {
      if (scores[row * classCount + k]! > scores[row * classCount + best]!) best = k;
    }
    if (best === labels[row]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}
