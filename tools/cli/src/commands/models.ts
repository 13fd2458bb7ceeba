/**
 * `sightline models list|get|load|unload|stats`: a model-server's repository and statistics
 * (the V2 repository extension). `models` alone is `models list`.
 */
import type { inference } from '@sightline/contracts';
import type { ModelMetadata } from '@sightline/sdk';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { type CommandResult, fields, table, text } from '../frame/output.js';

/** How long a load may take by default: a big model on a cold disk is slow. */
export const DEFAULT_LOAD_TIMEOUT = '5m';

/** Nanoseconds as milliseconds with three decimals. */
function ms(ns: bigint | number): number {
  return Math.round(Number(ns) / 1000) / 1000;
}

function mean(duration: inference.StatisticDuration | undefined): number | undefined {
  if (duration === undefined || duration.count === 0n) return undefined;
  return ms(duration.ns / duration.count);
}

/** The printable result of ModelStatistics: per model and version, counts and mean times. */
export function statisticsResult(stats: readonly inference.ModelStatistics[]): CommandResult {
  const rows = stats.map((s) => ({
    name: s.name,
    version: s.version,
    // Milliseconds since the epoch on the wire (0: never).
    last_inference: s.lastInference === 0n ? null : new Date(Number(s.lastInference)),
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    success: {
      count: s.inferenceStats?.success?.count ?? 0n,
      total_ms: ms(s.inferenceStats?.success?.ns ?? 0n),
    },
    fail: { count: s.inferenceStats?.fail?.count ?? 0n, total_ms: ms(s.inferenceStats?.fail?.ns ?? 0n) },
    queue: { count: s.inferenceStats?.queue?.count ?? 0n, total_ms: ms(s.inferenceStats?.queue?.ns ?? 0n) },
    compute_infer: {
      count: s.inferenceStats?.computeInfer?.count ?? 0n,
      total_ms: ms(s.inferenceStats?.computeInfer?.ns ?? 0n),
    },
    batches: s.batchStats.map((b) => ({ batch_size: b.batchSize, count: b.computeInfer?.count ?? 0n })),
  }));
  return {
    json: { models: rows },
    human: () => [
      table(
        [
          'model',
          'version',
          'inferences',
          'executions',
          'failures',
          'mean queue ms',
          'mean compute ms',
          'batch sizes',
        ],
        stats.map((s, i) => [
          s.name,
          s.version,
          s.inferenceCount,
          s.executionCount,
          rows[i]!.fail.count,
          mean(s.inferenceStats?.queue),
          mean(s.inferenceStats?.computeInfer),
          s.batchStats.map((b) => `${b.batchSize}×${b.computeInfer?.count ?? 0n}`).join(' '),
        ]),
      ),
    ],
  };
}

/** A model version's metadata as printed: signature, then source and lineage (`lineage.*`). */
export function metadataResult(metadata: ModelMetadata): CommandResult {
  const tensor = (t: ModelMetadata['inputs'][number]) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`;
  const lineage = Object.entries(metadata.parameters).filter(([key]) => key.startsWith('lineage.'));
  const source = metadata.parameters.source_uri;
  return {
    json: metadata,
    human: () => [
      fields([
        ['model', metadata.name],
        ['versions', metadata.versions.join(', ')],
        ['platform', metadata.platform],
        ['inputs', metadata.inputs.map(tensor).join('; ')],
        ['outputs', metadata.outputs.map(tensor).join('; ')],
        ['source', source ?? null],
      ]),
      lineage.length === 0
        ? text('lineage: none recorded')
        : fields(
            lineage.map(([key, value]) => [key.slice('lineage.'.length), value] as const),
            'lineage',
          ),
    ],
  };
}

/** Registers the `models` group. */
export function registerModelsCommands(program: Command, frame: CliFrame): void {
  const models = frame.group(program, 'models', "a model-server's models: list, load, unload, statistics");

  frame
    .command(models, 'list', {
      description: 'list the models in the repository with their state (the default of `models`)',
      service: 'model-server',
      isDefault: true,
    })
    .option('--ready', 'only the models ready to serve')
    .action(
      frame.run<{ ready?: boolean }>(async (context) => {
        const entries = await context
          .sightline()
          .models.index({ ready: context.flags.ready === true, ...context.call });
        context.output.print({
          json: { models: entries },
          human: () => [
            table(
              ['model', 'version', 'state', 'reason'],
              entries.map((m) => [m.name, m.version, m.state, m.reason]),
            ),
          ],
        });
      }),
    );

  frame
    .command(models, 'get <model>', {
      description: "a model version's inputs, outputs, source URI and lineage (provenance)",
      service: 'model-server',
    })
    .option('--model-version <version>', 'this version (default: the highest ready one)')
    .action(
      frame.run<{ modelVersion?: string }>(async (context) => {
        const [model] = context.args as [string];
        const metadata = await context.sightline().inference.modelMetadata(model, {
          ...context.call,
          ...(context.flags.modelVersion === undefined ? {} : { version: context.flags.modelVersion }),
        });
        context.output.print(metadataResult(metadata));
      }),
    );

  frame
    .command(models, 'load <model>', {
      description: 'load (or reload) a model of the repository; returns once it is ready',
      service: 'model-server',
      timeout: DEFAULT_LOAD_TIMEOUT,
    })
    .action(
      frame.run(async (context) => {
        const [model] = context.args as [string];
        const client = context.sightline();
        const started = Date.now();
        await context.progress.during(
          `loading model ${JSON.stringify(model)}`,
          client.models.load(model, context.call),
        );
        const loadMs = Date.now() - started;
        context.output.print({
          json: { model, state: 'READY', load_ms: loadMs },
          human: () => [text(`model ${JSON.stringify(model)} is loaded and ready (${loadMs} ms)`)],
        });
      }),
    );

  frame
    .command(models, 'unload <model>', {
      description: 'unload a model; requests already running finish',
      service: 'model-server',
    })
    .action(
      frame.run(async (context) => {
        const [model] = context.args as [string];
        await context.sightline().models.unload(model, context.call);
        context.output.print({
          json: { model, state: 'UNLOADED' },
          human: () => [text(`model ${JSON.stringify(model)} is unloaded`)],
        });
      }),
    );

  frame
    .command(models, 'stats [model]', {
      description:
        'inference statistics of one model, or of every model: counts, queue and compute times, batch sizes',
      service: 'model-server',
    })
    .option('--model-version <version>', 'one version only')
    .action(
      frame.run<{ modelVersion?: string }>(async (context) => {
        const [model] = context.args as [string | undefined];
        const stats = await context.sightline().models.statistics(model ?? '', {
          ...context.call,
          ...(context.flags.modelVersion === undefined ? {} : { version: context.flags.modelVersion }),
        });
        context.output.print(statisticsResult(stats));
      }),
    );
}
