/** The router's graph management (`sightline.router.v1.GraphService`). */
import { routerV1 } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';

const service = routerV1.GraphServiceService;

/** A graph as stored by the router (spec with defaults, generation, times). */
export type StoredGraph = routerV1.StoredGraph;
/** A graph spec as a message. */
export type GraphSpec = routerV1.Graph;
/** One problem ValidateGraph found. */
export type GraphProblem = routerV1.GraphProblem;

/**
 * A graph to apply or validate: YAML or JSON text (the format detected, or named), or a
 * spec message (a partial one is completed with the protocol's defaults).
 */
export type GraphSource = string | GraphDocumentSource | GraphSpecSource;

/** A graph as text in a named format. */
export interface GraphDocumentSource {
  /** The YAML or JSON text. */
  readonly text: string;
  /** Its format. */
  readonly format: 'yaml' | 'json';
}

/** A graph as a spec message. */
export interface GraphSpecSource {
  /** The spec; unset fields take the protocol's defaults. */
  readonly spec: routerV1.DeepPartial<routerV1.Graph>;
}

/** What ApplyGraph answers. */
export interface ApplyGraphResult {
  /** The graph as stored, with its new generation. */
  readonly graph: StoredGraph;
  /** True when no graph of this name existed before. */
  readonly created: boolean;
}

/** What ValidateGraph answers. */
export interface ValidateGraphResult {
  /** True when no problem is an ERROR (warnings leave a graph valid). */
  readonly valid: boolean;
  /** Every problem, in the order of the nodes. */
  readonly problems: readonly GraphProblem[];
  /** The spec as parsed, with defaults; undefined when the text could not be parsed. */
  readonly graph: GraphSpec | undefined;
}

/** One page of ListGraphs. */
export interface GraphPage {
  /** The graphs of this page, in name order. */
  readonly graphs: readonly StoredGraph[];
  /** Pass as `pageToken` for the next page; empty after the last. */
  readonly nextPageToken: string;
}

/** Options of `list`. */
export interface ListGraphsOptions extends CallOptions {
  /** Graphs per page; 0 or unset: the router's default (100); at most 1000. */
  readonly pageSize?: number;
  /** The `nextPageToken` of the previous page. */
  readonly pageToken?: string;
}

/** GraphService calls on one address (the router). */
export class GraphsClient {
  /**
   * @param caller - the shared call path.
   * @param address - the router's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * Creates or replaces a graph (ApplyGraph).
   *
   * @throws InvalidArgumentError listing the spec's problems (call `validate` for them as
   *   data); ResourceExhaustedError for a document over the router's size limit.
   */
  async apply(source: GraphSource, options: CallOptions = {}): Promise<ApplyGraphResult> {
    const request = routerV1.ApplyGraphRequest.fromPartial(sourceOf(source));
    const response = await this.caller.unary(
      this.address,
      service.applyGraph,
      request,
      options,
      'not-idempotent',
    );
    return { graph: storedGraph(response.graph), created: response.created };
  }

  /**
   * One stored graph (GetGraph).
   *
   * @throws NotFoundError for an unknown name.
   */
  async get(name: string, options: CallOptions = {}): Promise<StoredGraph> {
    const response = await this.caller.unary(this.address, service.getGraph, { name }, options, 'idempotent');
    return storedGraph(response.graph);
  }

  /** One page of the stored graphs, in name order (ListGraphs). */
  async list(options: ListGraphsOptions = {}): Promise<GraphPage> {
    const request = { pageSize: options.pageSize ?? 0, pageToken: options.pageToken ?? '' };
    const response = await this.caller.unary(
      this.address,
      service.listGraphs,
      request,
      options,
      'idempotent',
    );
    return { graphs: response.graphs, nextPageToken: response.nextPageToken };
  }

  /** Every stored graph, page after page, in name order. */
  async *listAll(
    options: Omit<ListGraphsOptions, 'pageToken'> = {},
  ): AsyncGenerator<StoredGraph, void, undefined> {
    let pageToken = '';
    do {
      const page = await this.list({ ...options, pageToken });
      yield* page.graphs;
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
  }

  /**
   * Deletes a graph (DeleteGraph); requests already running on it finish.
   *
   * @throws NotFoundError for an unknown name.
   */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.caller.unary(this.address, service.deleteGraph, { name }, options, 'not-idempotent');
  }

  /** Checks a spec without storing it (ValidateGraph): problems come as data, not errors. */
  async validate(source: GraphSource, options: CallOptions = {}): Promise<ValidateGraphResult> {
    const request = routerV1.ValidateGraphRequest.fromPartial(sourceOf(source));
    const response = await this.caller.unary(
      this.address,
      service.validateGraph,
      request,
      options,
      'idempotent',
    );
    return { valid: response.valid, problems: response.problems, graph: response.graph };
  }
}

const FORMATS = {
  yaml: routerV1.GraphDocumentFormat.GRAPH_DOCUMENT_FORMAT_YAML,
  json: routerV1.GraphDocumentFormat.GRAPH_DOCUMENT_FORMAT_JSON,
} as const;

function sourceOf(source: GraphSource): routerV1.DeepPartial<routerV1.ApplyGraphRequest> {
  if (typeof source === 'string') {
    return {
      document: { format: routerV1.GraphDocumentFormat.GRAPH_DOCUMENT_FORMAT_UNSPECIFIED, text: source },
    };
  }
  if ('spec' in source) return { graph: source.spec };
  return { document: { format: FORMATS[source.format], text: source.text } };
}

/** The router always answers a stored graph; an empty one means a protocol break, kept visible. */
function storedGraph(graph: StoredGraph | undefined): StoredGraph {
  return graph ?? routerV1.StoredGraph.fromPartial({});
}
