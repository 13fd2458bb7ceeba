/**
 * Graph management as the GraphService offers it: apply, get, list, delete and validate,
 * over the registry, with graphs applied at runtime kept in an injected {@link GraphStore}
 * so they survive a restart. Graphs from the --graphs directory are loaded first at start;
 * a stored graph of the same name replaces it.
 *
 * Apply is all or nothing: the graph is validated, checked to be storable and answerable,
 * and stored before the registry serves it; any failure leaves registry and store as they
 * were. Applies and deletes of one graph name run one at a time, in the order they
 * arrived, so the stored copy is always the one served (two writers interleaving their
 * save and serve steps could leave the refused or older version on disk).
 */
import { type GraphRegistry, invalidGraphError, type StoredGraph } from './graph-registry.js';
import type { GraphProblem, ParsedDocument } from './graph-spec.js';
import type { GraphLoadFailure, GraphStore } from './graph-store.js';
import { isValid } from './graph-validator.js';

export class GraphManager {
  /** Per graph name, the end of its queue of pending applies and deletes. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: GraphRegistry,
    private readonly store: GraphStore,
    private readonly onLoadError: (failure: GraphLoadFailure) => void = () => {},
  ) {}

  /** Every problem of a parsed document: reading problems, then validation's. */
  validate(parsed: ParsedDocument): GraphProblem[] {
    return [...parsed.problems, ...(parsed.graph ? this.registry.validate(parsed.graph) : [])];
  }

  /**
   * Validates, stores and serves; on any error stores and serves nothing.
   *
   * @throws InvalidArgumentError listing every problem (ResourceExhaustedError for a limit).
   */
  async apply(parsed: ParsedDocument): Promise<{ stored: StoredGraph; created: boolean }> {
    const problems = this.validate(parsed);
    const graph = parsed.graph;
    if (!graph || !isValid(problems)) throw invalidGraphError(graph?.name ?? '', problems);
    this.store.check(graph);
    return this.oneAtATime(graph.name, async () => {
      await this.store.save(graph);
      return this.registry.apply(graph, parsed.problems);
    });
  }

  /**
   * Serves a graph read at start (a --graphs file) without storing it.
   *
   * @throws as {@link apply}.
   */
  load(parsed: ParsedDocument): StoredGraph {
    const problems = this.validate(parsed);
    if (!parsed.graph || !isValid(problems)) throw invalidGraphError(parsed.graph?.name ?? '', problems);
    this.store.check(parsed.graph);
    return this.registry.apply(parsed.graph, parsed.problems).stored;
  }

  get(name: string): StoredGraph {
    return this.registry.get(name);
  }

  list(pageSize: number, pageToken: string): ReturnType<GraphRegistry['list']> {
    return this.registry.list(pageSize, pageToken);
  }

  async delete(name: string): Promise<void> {
    await this.oneAtATime(name, async () => {
      this.registry.get(name);
      await this.store.delete(name);
      this.registry.delete(name);
    });
  }

  /** Runs `work` after every earlier apply or delete of `name` has settled. */
  private async oneAtATime<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const result = previous.then(work);
    const settled = result.then(
      () => {},
      () => {},
    );
    this.queues.set(name, settled);
    try {
      return await result;
    } finally {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    }
  }

  /**
   * Serves the graphs stored in earlier runs. One that can no longer be read or validated
   * (a format change, a rule added since, a hand-edited file) is refused alone and
   * reported; the others serve.
   */
  async loadPersisted(): Promise<number> {
    const { graphs, failures } = await this.store.load();
    for (const failure of failures) this.onLoadError(failure);
    let loaded = 0;
    for (const { source, spec } of graphs) {
      try {
        this.load({ graph: spec, problems: [] });
        loaded += 1;
      } catch (error) {
        this.onLoadError({ source, graph: spec.name, error });
      }
    }
    return loaded;
  }
}
