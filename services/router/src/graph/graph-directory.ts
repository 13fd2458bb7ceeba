/**
 * Loads every graph file (`*.yaml`, `*.yml`, `*.json`) of a directory into the registry.
 * A file with problems is reported with all of them and skipped, so one bad file does not
 * keep the other graphs from serving (unless the caller treats any failure as fatal).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseGraphDocument } from '../contract/graph-document.js';
import type { GraphRegistry } from './graph-registry.js';

/** The outcome for one file. */
export interface GraphFileResult {
  readonly file: string;
  readonly graph?: string;
  /** Undefined when loaded; else the sentence listing every problem. */
  readonly error?: string;
}

const GRAPH_FILE = /\.(ya?ml|json)$/i;

/** Loads the graph files of `directory` (not recursive), in name order. */
export async function loadGraphDirectory(
  directory: string,
  registry: GraphRegistry,
  env: NodeJS.ProcessEnv,
  options: { readonly maxAliases?: number } = {},
): Promise<GraphFileResult[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && GRAPH_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
  const results: GraphFileResult[] = [];
  for (const name of files) {
    const file = path.join(directory, name);
    const text = await readFile(file, 'utf8');
    let parsed: ReturnType<typeof parseGraphDocument>;
    try {
      parsed = parseGraphDocument(text, { env, source: name, ...options });
    } catch (error) {
      // A limit hit while reading (an alias bomb): this file fails, the others load.
      results.push({ file, error: (error as Error).message });
      continue;
    }
    if (!parsed.graph) {
      results.push({ file, error: parsed.problems.map((p) => p.message).join('; ') });
      continue;
    }
    try {
      registry.apply(parsed.graph, parsed.problems);
      results.push({ file, graph: parsed.graph.name });
    } catch (error) {
      results.push({ file, graph: parsed.graph.name, error: `${name}: ${(error as Error).message}` });
    }
  }
  return results;
}
