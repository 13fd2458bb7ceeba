/**
 * Prometheus counters and histograms for per-request hot paths. prom-client validates and
 * hashes the label set on every observation, even through a child from `labels()`; these
 * resolve a label set once into a child that only adds numbers, and hand their values to
 * the registry when it is scraped. The exposition is prom-client's own (same registry,
 * default labels, content type).
 */
import type { Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

/** What prom-client's registry reads from a metric at scrape time. */
interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' }>;
}

/** A counter child: `inc(n)`. */
export interface FastCounterChild {
  inc(amount?: number): void;
}

/** A histogram child: `observe(seconds)`. */
export interface FastHistogramChild {
  observe(value: number): void;
}

function keyOf(labels: Labels): string {
  return JSON.stringify(labels);
}

/** A counter whose children are plain number cells. */
export class FastCounter implements RegisteredMetric {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly cells = new Map<string, { labels: Labels; value: number }>();

  readonly name: string;
  readonly help: string;

  /** Options as prom-client's Counter takes them (the label set is given per child). */
  constructor(options: {
    readonly name: string;
    readonly help: string;
    readonly registers: readonly Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The child for one label set, created once. */
  child(labels: Labels): FastCounterChild {
    const key = keyOf(labels);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { labels, value: 0 };
      this.cells.set(key, cell);
    }
    const target = cell;
    return {
      inc: (amount = 1) => {
        target.value += amount;
      },
    };
  }

  /** Stops exporting the series of `labels` (given as to {@link child}); its children stop counting. */
  remove(labels: Labels): void {
    this.cells.delete(keyOf(labels));
  }

  async get() {
    const values = [...this.cells.values()].map((cell) => ({
      value: cell.value,
      labels: { ...cell.labels },
    }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A histogram whose children are arrays of bucket counts. */
export class FastHistogram implements RegisteredMetric {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly cells = new Map<
    string,
    { labels: Labels; counts: Float64Array; sum: number; count: number }
  >();
  private readonly bounds: readonly number[];

  readonly name: string;
  readonly help: string;

  /** Options as prom-client's Histogram takes them (the label set is given per child). */
  constructor(options: {
    readonly name: string;
    readonly help: string;
    readonly buckets: readonly number[];
    readonly registers: readonly Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The child for one label set, created once. */
  child(labels: Labels): FastHistogramChild {
    const key = keyOf(labels);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { labels, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.cells.set(key, cell);
    }
    const target = cell;
    const bounds = this.bounds;
    return {
      observe: (value) => {
        target.sum += value;
        target.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]!) {
            target.counts[i]! += 1;
            return;
          }
        }
      },
    };
  }

  /** Stops exporting the series of `labels` (given as to {@link child}); its children stop counting. */
  remove(labels: Labels): void {
    this.cells.delete(keyOf(labels));
  }

  async get() {
    const values: MetricValue[] = [];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...cell.labels, le: bound },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...cell.labels, le: '+Inf' },
        value: cell.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
