/**
 * The V2 model repository extension (RepositoryIndex, RepositoryModelLoad,
 * RepositoryModelUnload) and ModelStatistics, on the model-server (the router answers
 * these UNIMPLEMENTED: it serves graphs, not a repository).
 */
import { inference } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import type { ModelCallOptions } from '../inference/inference-client.js';

const service = inference.GRPCInferenceServiceService;

/** One model of the repository index. */
export interface ModelIndexEntry {
  /** The model's name. */
  readonly name: string;
  /** The version; empty when the server names none. */
  readonly version: string;
  /** `READY`, `UNAVAILABLE`, `LOADING`, ... as the server names it. */
  readonly state: string;
  /** Why the model is in that state (a load failure's sentence); empty when ready. */
  readonly reason: string;
}

/** Options of `index`. */
export interface IndexOptions extends CallOptions {
  /** Only models ready to serve. */
  readonly ready?: boolean;
  /** The repository's name; empty (the default) for the server's only one. */
  readonly repository?: string;
}

/** Options of `load`. */
export interface LoadOptions extends CallOptions {
  /**
   * A configuration to load the model with instead of the one in the repository (the
   * `config` parameter: the model's config as JSON, an object is serialised).
   */
  readonly config?: string | Record<string, unknown>;
  /** The repository's name; empty (the default) for the server's only one. */
  readonly repository?: string;
}

/** Repository and statistics calls on one address. */
export class ModelsClient {
  /**
   * @param caller - the shared call path.
   * @param address - the model-server's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /** The models of the repository and their states (RepositoryIndex). Retried on UNAVAILABLE. */
  async index(options: IndexOptions = {}): Promise<ModelIndexEntry[]> {
    const request = { repositoryName: options.repository ?? '', ready: options.ready ?? false };
    const response = await this.caller.unary(
      this.address,
      service.repositoryIndex,
      request,
      options,
      'idempotent',
    );
    return response.models.map(({ name, version, state, reason }) => ({ name, version, state, reason }));
  }

  /**
   * Loads (or reloads) a model of the repository (RepositoryModelLoad); resolves once it
   * is ready.
   *
   * @throws NotFoundError for a model the repository lacks; InvalidArgumentError for a bad
   *   configuration, naming the field.
   */
  async load(model: string, options: LoadOptions = {}): Promise<void> {
    const config = options.config;
    const parameters =
      config === undefined
        ? {}
        : { config: { stringParam: typeof config === 'string' ? config : JSON.stringify(config) } };
    const request = inference.RepositoryModelLoadRequest.fromPartial({
      repositoryName: options.repository ?? '',
      modelName: model,
      parameters,
    });
    await this.caller.unary(this.address, service.repositoryModelLoad, request, options, 'not-idempotent');
  }

  /**
   * Unloads a model (RepositoryModelUnload); requests already running finish.
   *
   * @throws NotFoundError for a model that is not loaded.
   */
  async unload(model: string, options: CallOptions & { readonly repository?: string } = {}): Promise<void> {
    const request = inference.RepositoryModelUnloadRequest.fromPartial({
      repositoryName: options.repository ?? '',
      modelName: model,
    });
    await this.caller.unary(this.address, service.repositoryModelUnload, request, options, 'not-idempotent');
  }

  /**
   * Inference statistics (ModelStatistics) of one model, or of every model when `model` is
   * omitted, as the protocol's messages (counts and durations in bigint nanoseconds).
   */
  async statistics(model = '', options: ModelCallOptions = {}): Promise<inference.ModelStatistics[]> {
    const request = { name: model, version: options.version ?? '' };
    return (await this.caller.unary(this.address, service.modelStatistics, request, options, 'idempotent'))
      .modelStats;
  }
}
