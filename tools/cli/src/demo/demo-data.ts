/**
 * The demo's traffic: iris flowers resampled with a little noise (seeded), a shift of the
 * petal measurements from one row on (the drift: same species, measured larger, so the
 * model's answers move and its confidence drops), and a few planted outliers far outside
 * every flower, whose positions are recorded. Plain data, no I/O: the scenario sends it.
 */

/** The four iris measurements, in the model's input order. */
export const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
/** Class names in the model's probability order. */
export const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'] as const;

/** The data set the traffic is drawn from: rows of the four measurements and each row's class index. */
export interface IrisData {
  readonly features: readonly (readonly number[])[];
  readonly species: readonly number[];
}

/** How the traffic is made. */
export interface TrafficPlan {
  readonly rows: number;
  /** Index of the first drifted row. */
  readonly driftStart: number;
  /** Added to each measurement of a drifted row, cm, in {@link IRIS_COLUMNS} order. */
  readonly driftShift: readonly number[];
  /** Outliers planted, at seeded distinct positions. */
  readonly outliers: number;
  /** Standard deviation of the noise added to each resampled measurement, cm. */
  readonly noiseCm: number;
  readonly seed: number;
}

/** One request's row. */
export interface TrafficRow {
  readonly index: number;
  readonly features: readonly number[];
  /** The true class index. */
  readonly species: number;
  readonly drifted: boolean;
  readonly planted: boolean;
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from `random`. */
function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** `count` distinct indices in [0, size), seeded (a partial Fisher-Yates shuffle). */
function distinctIndices(count: number, size: number, random: () => number): Set<number> {
  const pool = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return new Set(pool.slice(0, count));
}

/**
 * A reading no flower gives (a sensor fault, a unit mix-up): every measurement past its
 * largest value in the data by half to one time its range. Isolation Forest scores a value
 * past the edge of one feature alone like the edge itself, so a planted outlier is off in
 * all four.
 */
function plantOutlier(data: IrisData, random: () => number): number[] {
  return IRIS_COLUMNS.map((_, f) => {
    const column = data.features.map((row) => row[f]!);
    const max = Math.max(...column);
    return max + (0.5 + 0.5 * random()) * (max - Math.min(...column));
  });
}

/** Rounds to 0.001 cm, so the rows print and travel as short decimals. */
const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The traffic of `plan` drawn from `data`.
 *
 * @throws RangeError for a plan that cannot be drawn (no rows, drift or outliers past the end).
 */
export function makeTraffic(data: IrisData, plan: TrafficPlan): TrafficRow[] {
  if (data.features.length === 0) throw new RangeError('data: no rows to draw from');
  if (plan.outliers > plan.rows)
    throw new RangeError(`outliers: at most rows (${plan.rows}), got ${plan.outliers}`);
  const random = seededRandom(plan.seed);
  const planted = distinctIndices(plan.outliers, plan.rows, random);
  const rows: TrafficRow[] = [];
  for (let index = 0; index < plan.rows; index++) {
    const source = Math.floor(random() * data.features.length);
    let features = data.features[source]!.map((value) => value + plan.noiseCm * normal(random));
    const drifted = index >= plan.driftStart;
    if (drifted) features = features.map((value, f) => value + (plan.driftShift[f] ?? 0));
    const isPlanted = planted.has(index);
    if (isPlanted) features = plantOutlier(data, random);
    rows.push({
      index,
      features: features.map((value) => round(Math.max(0.1, value))),
      species: data.species[source]!,
      drifted,
      planted: isPlanted,
    });
  }
  return rows;
}

/** Parses iris.csv (header, four measurements, the class index). */
export function parseIrisData(text: string, source: string): IrisData {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]?.split(',') ?? [];
  const expected = [...IRIS_COLUMNS, 'species'];
  if (header.join(',') !== expected.join(','))
    throw new Error(`${source}: line 1: expected the header ${expected.join(',')}, got ${header.join(',')}`);
  const features: number[][] = [];
  const species: number[] = [];
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map(Number);
    if (
      cells.length !== 5 ||
      cells.some((cell) => !Number.isFinite(cell)) ||
      !Number.isInteger(cells[4]) ||
      cells[4]! < 0 ||
      cells[4]! >= IRIS_CLASSES.length
    )
      throw new Error(`${source}: line ${i + 2}: expected four measurements and a class index 0-2`);
    features.push(cells.slice(0, 4));
    species.push(cells[4]!);
  });
  if (features.length === 0) throw new Error(`${source}: a header but no rows`);
  return { features, species };
}
