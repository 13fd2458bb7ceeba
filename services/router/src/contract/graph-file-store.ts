/**
 * Graphs kept as files: `<directory>/<name>.json`, each `{ schemaVersion, graph }` with the
 * graph in the protobuf JSON mapping of `sightline.router.v1.Graph`, written atomically
 * (a temporary file of a name no other writer uses, flushed to disk, then renamed). A file
 * that cannot be read back is a load failure of its own; the other graphs load. Temporary
 * files a crash left behind are removed at load.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { routerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { GraphSpec } from '../graph/graph-spec.js';
import type { GraphLoadFailure, GraphStore, LoadedGraphs } from '../graph/graph-store.js';
import { graphFromMessage, graphToMessage } from './graph-message.js';

/** Version of the persisted graph file format. */
export const GRAPH_FILE_SCHEMA_VERSION = 1;

interface PersistedGraph {
  readonly schemaVersion: number;
  readonly graph: unknown;
}

/** Temporary files of {@link GraphFileStore.save}: `<name>.json.<pid>.<random>.tmp` (before: `<name>.json.<pid>.tmp`). */
const TEMPORARY_FILE = /\.json\.\d+(\.[0-9a-f]+)?\.tmp$/;

/** Graph files in one directory. */
export class GraphFileStore implements GraphStore {
  constructor(private readonly directory: string) {}

  async load(): Promise<LoadedGraphs> {
    await mkdir(this.directory, { recursive: true });
    const graphs: { source: string; spec: GraphSpec }[] = [];
    const failures: GraphLoadFailure[] = [];
    const entries = await readdir(this.directory);
    for (const stray of entries.filter((n) => TEMPORARY_FILE.test(n))) {
      await rm(path.join(this.directory, stray), { force: true });
    }
    const names = entries.filter((n) => n.endsWith('.json')).sort();
    for (const name of names) {
      const source = path.join(this.directory, name);
      try {
        const persisted = JSON.parse(await readFile(source, 'utf8')) as PersistedGraph;
        if (persisted?.schemaVersion !== GRAPH_FILE_SCHEMA_VERSION) {
          throw new Error(`schemaVersion ${persisted?.schemaVersion} is not ${GRAPH_FILE_SCHEMA_VERSION}`);
        }
        // Validated (and checked) by the caller, which knows the rules.
        const spec = graphFromMessage(routerV1.Graph.fromJSON(persisted.graph));
        graphs.push({ source, spec });
      } catch (error) {
        failures.push({ source, graph: name.slice(0, -'.json'.length), error });
      }
    }
    return { graphs, failures };
  }

  /** The graph's message must encode: what GetGraph and ListGraphs will answer. */
  check(spec: GraphSpec): void {
    try {
      routerV1.Graph.encode(graphToMessage(spec)).finish();
    } catch (error) {
      throw new InvalidArgumentError(`graph "${spec.name}" cannot be stored: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async save(spec: GraphSpec): Promise<void> {
    this.check(spec);
    await mkdir(this.directory, { recursive: true });
    const file = this.fileOf(spec.name);
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const body: PersistedGraph = {
      schemaVersion: GRAPH_FILE_SCHEMA_VERSION,
      graph: routerV1.Graph.toJSON(graphToMessage(spec)),
    };
    try {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`);
        // On disk before the rename makes it the graph: a crash leaves the old or the new copy.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }

  private fileOf(name: string): string {
    // Validated names hold no separator and do not start with a dot.
    return path.join(this.directory, `${name}.json`);
  }
}
