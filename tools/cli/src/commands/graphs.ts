/**
 * `sightline graphs apply|get|list|delete|validate`: the router's inference graphs
 * (GraphService). Graph files are YAML or JSON (the protobuf JSON mapping of Graph, as in
 * examples/graphs); `-` reads standard input.
 *
 * `graphs validate` exits 0 for a valid graph (warnings allowed) and 2 for one with errors:
 * the file is the user's input, and scripts can run `validate && apply`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphDocumentSource } from '@sightline/sdk';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { text } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { graphListResult, storedGraphResult, validationResult } from './graph-view.js';

/** The largest graph file read, in bytes (the router's own document limit is 1 MiB by default). */
export const MAX_GRAPH_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A graph file as the SDK sends it: its text with the format its extension names, or the bare
 * text when the extension names none (the router then detects it).
 */
export async function readGraphFile(file: string): Promise<string | GraphDocumentSource> {
  let content: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      content = Buffer.concat(chunks).toString('utf8');
    } else {
      const buffer = await readFile(file);
      if (buffer.length > MAX_GRAPH_FILE_BYTES)
        throw new UsageError(
          `${file}: ${buffer.length} bytes is over the ${MAX_GRAPH_FILE_BYTES}-byte limit of a graph file`,
        );
      content = buffer.toString('utf8');
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory, not a file'
          : (code ?? 'unreadable');
    throw new UsageError(`${file}: cannot read the graph file (${reason})`);
  }
  if (content.trim() === '') throw new UsageError(`${file}: the graph file is empty`);
  const extension = path.extname(file).toLowerCase();
  const format =
    extension === '.json' ? 'json' : extension === '.yaml' || extension === '.yml' ? 'yaml' : undefined;
  return format === undefined ? content : { text: content, format };
}

/** Registers the `graphs` group. */
export function registerGraphsCommands(program: Command, frame: CliFrame): void {
  const graphs = frame.group(
    program,
    'graphs',
    "the router's inference graphs: apply, get, list, delete, validate",
  );

  frame
    .command(graphs, 'apply <file>', {
      description: 'create a graph from a YAML or JSON file, or replace the graph of the same name',
      service: 'router',
    })
    .action(
      frame.run(async (context) => {
        const [file] = context.args as [string];
        const source = await readGraphFile(file);
        const result = await context.sightline().graphs.apply(source, context.call);
        context.output.print(
          storedGraphResult(result.graph, {
            json: { created: result.created },
            fields: [['applied', result.created ? 'created' : 'replaced']],
          }),
        );
      }),
    );

  frame
    .command(graphs, 'get <name>', {
      description: 'show one graph: its settings and nodes',
      service: 'router',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        context.output.print(storedGraphResult(await context.sightline().graphs.get(name, context.call)));
      }),
    );

  frame
    .command(graphs, 'list', {
      description: 'list the stored graphs in name order',
      service: 'router',
      isDefault: true,
    })
    .action(
      frame.run(async (context) => {
        const all = [];
        for await (const graph of context.sightline().graphs.listAll(context.call)) all.push(graph);
        context.output.print(graphListResult(all));
      }),
    );

  frame
    .command(graphs, 'delete <name>', {
      description: 'delete a graph; requests already running on it finish',
      service: 'router',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        await context.sightline().graphs.delete(name, context.call);
        context.output.print({
          json: { graph: name, deleted: true },
          human: () => [text(`graph ${JSON.stringify(name)} is deleted`)],
        });
      }),
    );

  frame
    .command(graphs, 'validate <file>', {
      description: 'check a graph file without storing it; exits 2 when it has errors',
      service: 'router',
    })
    .action(
      frame.run(async (context) => {
        const [file] = context.args as [string];
        const source = await readGraphFile(file);
        const result = await context.sightline().graphs.validate(source, context.call);
        context.output.print(validationResult(file, result.valid, result.problems));
        if (!result.valid) {
          const errors = result.problems.filter((p) => p.severity === 1).length;
          throw new UsageError(`${file}: the graph is not valid (${errors} error${errors === 1 ? '' : 's'})`);
        }
      }),
    );
}
