/**
 * Loads every graph file (`*.yaml`, `*.yml`, `*.json`) of a directory. A file with problems
 * is reported with all of them and skipped, so one bad file does not keep the other graphs
 * from serving (unless the caller treats any failure as fatal).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphManager } from './graph-manager.js';
import type { ParsedDocument } from './graph-spec.js';

/** The outcome for one file. */
export interface GraphFileResult {
  readonly file: string;
  readonly graph?: string;
  /** Undefined when loaded; else the sentence listing every problem. */
  readonly error?: string;
}

/** Reads a document's text (the format's parser, from the composition root); may throw a limit. */
export type GraphDocumentReader = (text: string, source: string) => ParsedDocument;

const GRAPH_FILE = /\.(ya?ml|json)$/i;

/** Loads the graph files of `directory` (not recursive), in name order. */
export async function loadGraphDirectory(
  directory: string,
  graphs: Pick<GraphManager, 'load'>,
  read: GraphDocumentReader,
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
    let parsed: ParsedDocument;
    try {
      parsed = read(text, name);
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
      graphs.load(parsed);
      results.push({ file, graph: parsed.graph.name });
    } catch (error) {
      results.push({ file, graph: parsed.graph.name, error: `${name}: ${(error as Error).message}` });
    }
  }
  return results;
}
