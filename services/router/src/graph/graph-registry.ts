/**
 * The graphs the router serves, by name. Applying validates first and stores nothing on
 * an error; a request holds the compiled graph it started with, so replacing or deleting
 * a graph never disturbs requests in flight.
 */
import { InvalidArgumentError, NotFoundError, quoteName, ResourceExhaustedError } from '@sightline/errors';
import { type CompiledGraph, compileGraph } from './compiled-graph.js';
import type { GraphProblem, GraphSpec } from './graph-spec.js';
import { type GraphValidationLimits, isValid, validateGraph } from './graph-validator.js';

/** Default page size of {@link GraphRegistry.list}. */
export const DEFAULT_LIST_PAGE_SIZE = 100;
/** Largest page size of {@link GraphRegistry.list}. */
export const MAX_LIST_PAGE_SIZE = 1000;
/** How many problems an error message lists before saying "and N more". */
export const MAX_PROBLEMS_IN_MESSAGE = 50;

/** A graph as stored. */
export interface StoredGraph {
  readonly compiled: CompiledGraph;
  readonly generation: number;
  readonly createTimeMs: number;
  readonly updateTimeMs: number;
}

/** Receives every change, so a store can persist it. */
export interface GraphRegistryListener {
  applied(graph: StoredGraph): void;
  deleted(name: string): void;
}

/** Rules whose failure is a size limit: RESOURCE_EXHAUSTED (contract), not INVALID_ARGUMENT. */
const LIMIT_RULES = new Set(['graph.max_nodes']);

/**
 * Builds the error for a spec with errors, listing every problem: ResourceExhaustedError
 * when a size limit is among them, else InvalidArgumentError.
 */
export function invalidGraphError(
  name: string,
  problems: readonly GraphProblem[],
): InvalidArgumentError | ResourceExhaustedError {
  const errors = problems.filter((p) => p.severity === 'error');
  const shown = errors.slice(0, MAX_PROBLEMS_IN_MESSAGE).map((p) => `${p.message} [${p.rule}]`);
  const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
  const overLimit = errors.some((p) => LIMIT_RULES.has(p.rule));
  return new (overLimit ? ResourceExhaustedError : InvalidArgumentError)(
    `graph ${quoteName(name)} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${shown.join('; ')}${more}`,
  );
}

/** The router's graphs. */
export class GraphRegistry {
  private readonly graphs = new Map<string, StoredGraph>();

  constructor(
    private readonly options: {
      readonly limits: GraphValidationLimits;
      readonly now?: () => number;
      readonly listener?: GraphRegistryListener;
    },
  ) {}

  /** Checks a spec without storing it. */
  validate(spec: GraphSpec): GraphProblem[] {
    return validateGraph(spec, this.options.limits);
  }

  /**
   * Stores `spec` under its name, replacing an earlier graph of that name.
   *
   * @throws InvalidArgumentError listing every problem when the spec has errors.
   */
  apply(
    spec: GraphSpec,
    extraProblems: readonly GraphProblem[] = [],
  ): { stored: StoredGraph; created: boolean; warnings: GraphProblem[] } {
    const problems = [...extraProblems, ...this.validate(spec)];
    if (!isValid(problems)) throw invalidGraphError(spec.name, problems);
    const now = (this.options.now ?? Date.now)();
    const previous = this.graphs.get(spec.name);
    const stored: StoredGraph = {
      compiled: compileGraph(spec),
      generation: (previous?.generation ?? 0) + 1,
      createTimeMs: previous?.createTimeMs ?? now,
      updateTimeMs: now,
    };
    this.graphs.set(spec.name, stored);
    this.options.listener?.applied(stored);
    return {
      stored,
      created: previous === undefined,
      warnings: problems.filter((p) => p.severity === 'warning'),
    };
  }

  /** The graph named `name`, or undefined. */
  find(name: string): StoredGraph | undefined {
    return this.graphs.get(name);
  }

  /** @throws NotFoundError naming the graph. */
  get(name: string): StoredGraph {
    if (name === '') throw new InvalidArgumentError('name: must name a graph');
    const graph = this.graphs.get(name);
    if (!graph) throw new NotFoundError(`graph ${quoteName(name)} not found`);
    return graph;
  }

  /** @throws NotFoundError naming the graph. */
  delete(name: string): void {
    this.get(name);
    this.graphs.delete(name);
    this.options.listener?.deleted(name);
  }

  /** Graphs in name order, a page at a time; the token is the last name of the previous page. */
  list(pageSize: number, pageToken: string): { graphs: StoredGraph[]; nextPageToken: string } {
    if (pageSize > MAX_LIST_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: at most ${MAX_LIST_PAGE_SIZE}, got ${pageSize}`);
    }
    const size = pageSize === 0 ? DEFAULT_LIST_PAGE_SIZE : pageSize;
    let after = '';
    if (pageToken !== '') {
      const decoded = Buffer.from(pageToken, 'base64url').toString('utf8');
      if (!decoded.startsWith('after:'))
        throw new InvalidArgumentError('page_token: not a token this router issued');
      after = decoded.slice('after:'.length);
    }
    const names = [...this.graphs.keys()].sort().filter((n) => n > after);
    const page = names.slice(0, size);
    const nextPageToken =
      names.length > size ? Buffer.from(`after:${page[page.length - 1]}`, 'utf8').toString('base64url') : '';
    return { graphs: page.map((n) => this.graphs.get(n)!), nextPageToken };
  }

  /** Every graph name. */
  names(): string[] {
    return [...this.graphs.keys()].sort();
  }
}
