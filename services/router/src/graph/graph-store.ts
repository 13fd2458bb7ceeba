/**
 * Where graphs applied at runtime are kept between runs. The graph domain sees only this
 * interface and plain specs; the composition root picks the implementation (files of the
 * protobuf JSON mapping, src/contract/graph-file-store.ts) and its format.
 */
import type { GraphSpec } from './graph-spec.js';

/** A stored graph that could not be read back, with why. */
export interface GraphLoadFailure {
  /** Names the stored copy (a file path). */
  readonly source: string;
  /** The graph's name where it could still be read. */
  readonly graph?: string;
  readonly error: unknown;
}

/** What {@link GraphStore.load} found. */
export interface LoadedGraphs {
  readonly graphs: readonly { readonly source: string; readonly spec: GraphSpec }[];
  /** Stored graphs that could not be read; each is refused alone. */
  readonly failures: readonly GraphLoadFailure[];
}

/** Persistence of graphs. */
export interface GraphStore {
  /** Every stored graph; one that cannot be read is a failure, not an exception. */
  load(): Promise<LoadedGraphs>;
  /**
   * Throws when `spec` cannot be stored and answered as it is (e.g. a value its stored
   * form cannot hold), so an apply can refuse it before anything changes.
   *
   * @throws InvalidArgumentError naming the graph and the reason.
   */
  check(spec: GraphSpec): void;
  /** Stores `spec` under its name (replacing), atomically. */
  save(spec: GraphSpec): Promise<void>;
  /** Removes the graph of that name; no error when it is not stored. */
  delete(name: string): Promise<void>;
}

/** Keeps nothing: graphs live only as long as the process (tests, embedded use). */
export class TransientGraphStore implements GraphStore {
  async load(): Promise<LoadedGraphs> {
    return { graphs: [], failures: [] };
  }
  check(): void {}
  async save(): Promise<void> {}
  async delete(): Promise<void> {}
}
