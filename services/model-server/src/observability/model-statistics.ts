/**
 * Triton's cumulative per-model statistics (the ModelStatistics extension): counts and
 * total durations of successes, failures, queueing and each compute phase, and the same
 * per executed batch size. Plain numbers here; the gRPC handler converts them.
 */

/** A cumulative count and duration. */
export interface Duration {
  count: number;
  ns: bigint;
}

/** Statistics at one executed batch size. */
export interface BatchStatistics {
  readonly batchSize: number;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
}

/** Statistics of one model version. */
export interface VersionStatistics {
  readonly name: string;
  readonly version: string;
  lastInferenceMs: number;
  /** Rows inferred successfully (a request of batch 8 adds 8). */
  inferenceCount: number;
  /** Model executions (a batch serving 8 requests adds 1). */
  executionCount: number;
  readonly success: Duration;
  readonly fail: Duration;
  readonly queue: Duration;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
  readonly batches: Map<number, BatchStatistics>;
}

const zero = (): Duration => ({ count: 0, ns: 0n });

function emptyStatistics(name: string, version: string): VersionStatistics {
  return {
    name,
    version,
    lastInferenceMs: 0,
    inferenceCount: 0,
    executionCount: 0,
    success: zero(),
    fail: zero(),
    queue: zero(),
    computeInput: zero(),
    computeInfer: zero(),
    computeOutput: zero(),
    batches: new Map(),
  };
}

function add(duration: Duration, ns: bigint): void {
  duration.count += 1;
  duration.ns += ns;
}

/** Collects statistics for every model version the server has served. */
export class ModelStatistics {
  private readonly byVersion = new Map<string, VersionStatistics>();

  /** The record of one version, created on first use. */
  private record(name: string, version: string): VersionStatistics {
    const key = `${name}\u0000${version}`;
    let stats = this.byVersion.get(key);
    if (!stats) {
      stats = emptyStatistics(name, version);
      this.byVersion.set(key, stats);
    }
    return stats;
  }

  /** A request that succeeded: its rows, its end-to-end time and its share of the execution. */
  recordSuccess(
    name: string,
    version: string,
    sample: {
      rows: number;
      totalNs: bigint;
      queueNs: bigint;
      computeInputNs: bigint;
      computeInferNs: bigint;
      computeOutputNs: bigint;
    },
  ): void {
    const stats = this.record(name, version);
    stats.lastInferenceMs = Date.now();
    stats.inferenceCount += sample.rows;
    add(stats.success, sample.totalNs);
    add(stats.queue, sample.queueNs);
    add(stats.computeInput, sample.computeInputNs);
    add(stats.computeInfer, sample.computeInferNs);
    add(stats.computeOutput, sample.computeOutputNs);
  }

  /** A request for a known version that failed, with the time until it failed. */
  recordFailure(name: string, version: string, totalNs: bigint): void {
    add(this.record(name, version).fail, totalNs);
  }

  /** One model execution at `batchSize`. */
  recordExecution(
    name: string,
    version: string,
    execution: { batchSize: number; computeInputNs: bigint; computeInferNs: bigint; computeOutputNs: bigint },
  ): void {
    const stats = this.record(name, version);
    stats.executionCount += 1;
    let batch = stats.batches.get(execution.batchSize);
    if (!batch) {
      batch = {
        batchSize: execution.batchSize,
        computeInput: zero(),
        computeInfer: zero(),
        computeOutput: zero(),
      };
      stats.batches.set(execution.batchSize, batch);
    }
    add(batch.computeInput, execution.computeInputNs);
    add(batch.computeInfer, execution.computeInferNs);
    add(batch.computeOutput, execution.computeOutputNs);
  }

  /**
   * Snapshots, filtered by name and version when given, ordered by name then version.
   * Every version of `serving` is listed, with zero counts when it has had no traffic (as
   * Triton lists a READY model: clients read `model_stats[0]` of a fresh model).
   */
  list(
    name?: string,
    version?: string,
    serving: readonly { readonly name: string; readonly version: string }[] = [],
  ): VersionStatistics[] {
    const byVersion = new Map(this.byVersion);
    for (const v of serving) {
      const key = `${v.name}\u0000${v.version}`;
      if (!byVersion.has(key)) byVersion.set(key, emptyStatistics(v.name, v.version));
    }
    return [...byVersion.values()]
      .filter((s) => (!name || s.name === name) && (!version || s.version === version))
      .sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version))
      .map((s) => structuredClone(s));
  }
}
