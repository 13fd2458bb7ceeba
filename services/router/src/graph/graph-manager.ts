/**
 * Graph management as the GraphService offers it: apply, get, list, delete and validate,
 * over the registry, with graphs applied at runtime kept in `<data dir>/graphs/` so they
 * survive a restart (written atomically, versioned). Graphs from the --graphs directory
 * are loaded first at start; a persisted graph of the same name replaces it.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { routerV1 } from '@sightline/contracts';
import type { ParsedDocument } from '../contract/graph-document.js';
import { graphFromMessage, graphToMessage } from '../contract/graph-message.js';
import { type GraphRegistry, invalidGraphError, type StoredGraph } from './graph-registry.js';
import type { GraphProblem } from './graph-spec.js';
import { isValid } from './graph-validator.js';

/** Version of the persisted graph file format. */
export const GRAPH_FILE_SCHEMA_VERSION = 1;

interface PersistedGraph {
  readonly schemaVersion: number;
  readonly graph: unknown;
}

export class GraphManager {
  constructor(
    private readonly registry: GraphRegistry,
    /** Where applied graphs are kept; undefined keeps them in memory only. */
    private readonly directory: string | undefined,
    private readonly onLoadError: (file: string, error: unknown) => void = () => {},
  ) {}

  /** Every problem of a parsed document: reading problems, then validation's. */
  validate(parsed: ParsedDocument): GraphProblem[] {
    return [...parsed.problems, ...(parsed.graph ? this.registry.validate(parsed.graph) : [])];
  }

  /** Validates and stores; on errors throws INVALID_ARGUMENT listing every problem and stores nothing. */
  async apply(parsed: ParsedDocument): Promise<{ stored: StoredGraph; created: boolean }> {
    if (!parsed.graph || !isValid(parsed.problems)) {
      throw invalidGraphError(parsed.graph?.name ?? '', this.validate(parsed));
    }
    const result = this.registry.apply(parsed.graph, parsed.problems);
    await this.persist(result.stored);
    return result;
  }

  get(name: string): StoredGraph {
    return this.registry.get(name);
  }

  list(pageSize: number, pageToken: string): ReturnType<GraphRegistry['list']> {
    return this.registry.list(pageSize, pageToken);
  }

  async delete(name: string): Promise<void> {
    this.registry.delete(name);
    if (this.directory) await rm(path.join(this.directory, `${name}.json`), { force: true });
  }

  /** Loads the graphs applied in earlier runs. */
  async loadPersisted(): Promise<number> {
    if (!this.directory) return 0;
    await mkdir(this.directory, { recursive: true });
    let loaded = 0;
    for (const name of (await readdir(this.directory)).filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.directory, name);
      try {
        const persisted = JSON.parse(await readFile(file, 'utf8')) as PersistedGraph;
        if (persisted.schemaVersion !== GRAPH_FILE_SCHEMA_VERSION) {
          throw new Error(`schemaVersion ${persisted.schemaVersion} is not ${GRAPH_FILE_SCHEMA_VERSION}`);
        }
        this.registry.apply(graphFromMessage(routerV1.Graph.fromJSON(persisted.graph)));
        loaded += 1;
      } catch (error) {
        this.onLoadError(file, error);
      }
    }
    return loaded;
  }

  private async persist(stored: StoredGraph): Promise<void> {
    if (!this.directory) return;
    await mkdir(this.directory, { recursive: true });
    const name = stored.compiled.spec.name;
    const file = path.join(this.directory, `${name}.json`);
    const temporary = `${file}.${process.pid}.tmp`;
    const body: PersistedGraph = {
      schemaVersion: GRAPH_FILE_SCHEMA_VERSION,
      graph: routerV1.Graph.toJSON(graphToMessage(stored.compiled.spec)),
    };
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`);
    await rename(temporary, file);
  }
}
