/**
 * `sightline explain global MODEL --from T [--to T]`: a global explanation (design note
 * decision 14): the explainer reads the stored events of the range through the router,
 * explains a seeded sample of at most --max-rows of their rows with Kernel SHAP (or Integrated
 * Gradients) and aggregates the attributions per model version. It runs as a job followed
 * with a progress bar over the event rows (as `outlier run` and `drift run` show theirs), then
 * prints mean |attribution| per feature per version as a bar chart (or `--json`).
 */
import type { GlobalExplainInput } from '@sightline/sdk';
import { type Command, Option } from 'commander';
import type { CliFrame, CommandContext } from '../frame/cli-frame.js';
import type { ConnectionFlags } from '../frame/connection.js';
import { fields } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { readInputBytes } from '../inputs/input-file.js';
import { DEFAULT_JOB_BUDGET_MS, JOB_WATCH_MARGIN_MS, targetMetadata } from './explain.js';
import { parseFeatureCsv, tableTensors } from './explain-csv.js';
import { parseIntegerFlag, parseTargetIndices } from './explain-flags.js';
import { globalImportanceJson, globalImportanceSections } from './explain-global-view.js';
import { followJob, jobGlobalExplanation } from './explain-job.js';
import { timeRangeFromFlags } from './history-scan.js';

/** The methods a global explanation takes. */
export const GLOBAL_METHODS = ['kernel-shap', 'integrated-gradients'] as const;
/** Rows explained at most when --max-rows is unset, and the most allowed (the contract's). */
export const DEFAULT_GLOBAL_MAX_ROWS = 1_000;
export const MAX_GLOBAL_MAX_ROWS = 100_000;
/** Submitting the job is one short call: its watch is bounded by the job's budget instead. */
const GLOBAL_SUBMIT_TIMEOUT = '30s';

interface GlobalFlags extends ConnectionFlags {
  readonly model?: string;
  readonly graph?: string;
  readonly version?: string;
  readonly from: string;
  readonly to?: string;
  readonly method: (typeof GLOBAL_METHODS)[number];
  readonly maxRows?: string;
  readonly background?: string;
  readonly columns?: string;
  readonly samples?: string;
  readonly steps?: string;
  readonly seed?: string;
  readonly budgetMs?: string;
  readonly targetIndex?: readonly string[];
  readonly metadataAddress?: string;
  /** Not a flag: targetMetadata reads it (the target's version is each group's). */
  readonly modelVersion?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The numeric settings of the flags: rows, method, seed, budget. @throws UsageError naming the flag. */
function settingsOf(flags: GlobalFlags): Pick<GlobalExplainInput, 'maxRows' | 'method' | 'seed' | 'budget'> {
  return {
    ...(flags.maxRows === undefined
      ? {}
      : { maxRows: parseIntegerFlag(flags.maxRows, '--max-rows', 1, MAX_GLOBAL_MAX_ROWS) }),
    method:
      flags.method === 'kernel-shap'
        ? {
            kernelShap:
              flags.samples === undefined
                ? {}
                : { nSamples: parseIntegerFlag(flags.samples, '--samples', 1, 100_000) },
          }
        : {
            integratedGradients:
              flags.steps === undefined
                ? {}
                : { nSteps: parseIntegerFlag(flags.steps, '--steps', 1, 10_000) },
          },
    ...(flags.seed === undefined
      ? {}
      : { seed: parseIntegerFlag(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) }),
    ...(flags.budgetMs === undefined
      ? {}
      : { budget: { timeoutMs: parseIntegerFlag(flags.budgetMs, '--budget-ms', 1, 86_400_000) } }),
  };
}

/** The request the flags ask for (the background read from its CSV). */
async function globalInputOf(context: CommandContext<GlobalFlags>): Promise<GlobalExplainInput> {
  const { flags } = context;
  const [positional] = context.args as [string | undefined];
  if (positional !== undefined && flags.model !== undefined && positional !== flags.model)
    throw new UsageError(
      `explain global: the model is named twice (${positional} and --model ${flags.model})`,
    );
  const model = positional ?? flags.model;
  if (model === undefined && flags.graph === undefined)
    throw new UsageError(
      'explain global: name the model (explain global MODEL), or a graph with --graph NAME',
    );
  if (flags.samples !== undefined && flags.method !== 'kernel-shap')
    throw new UsageError('--samples: only for --method kernel-shap');
  if (flags.steps !== undefined && flags.method !== 'integrated-gradients')
    throw new UsageError('--steps: only for --method integrated-gradients');
  if (flags.method === 'kernel-shap' && flags.background === undefined)
    throw new UsageError(
      '--background: Kernel SHAP needs background rows (a CSV with a header of feature names)',
    );
  const { from, to } = timeRangeFromFlags(flags);
  // Every flag is checked before a file is read or a service called.
  const settings = settingsOf(flags);
  const targetIndices = parseTargetIndices(flags.targetIndex);
  const name = (flags.graph ?? model)!;
  const columns = flags.columns?.split(',').map((c) => c.trim());
  let background: GlobalExplainInput['background'];
  let featureNames: readonly string[] | undefined;
  if (flags.background !== undefined) {
    const source = `--background ${flags.background}`;
    const text = (await readInputBytes(flags.background, { source, progress: context.progress })).toString(
      'utf8',
    );
    const table = parseFeatureCsv(text, source, columns);
    const metadata = await targetMetadata(context, name);
    background = { rows: tableTensors(table, metadata.inputs, name, source) };
    featureNames = table.names;
  } else if (columns !== undefined) {
    throw new UsageError('--columns: picks columns of --background FILE.csv');
  }
  return {
    model: name,
    ...(flags.graph === undefined
      ? {}
      : { graph: true, ...(model === undefined ? {} : { eventsModel: model }) }),
    ...(flags.version === undefined ? {} : { version: flags.version }),
    from: new Date(from),
    to: new Date(to),
    ...settings,
    ...(background ? { background } : {}),
    ...(featureNames ? { featureNames } : {}),
    ...(targetIndices ? { targetIndices } : {}),
  };
}

async function explainGlobal(context: CommandContext<GlobalFlags>): Promise<void> {
  const input = await globalInputOf(context);
  const client = context.sightline().explainer;
  const submitted = await client.startGlobalExplanation(input, context.call);
  const bar = context.progress.bar(`explain global ${input.model}, job ${submitted.id}, event rows`, 1);
  let job: Awaited<ReturnType<typeof followJob>>;
  try {
    // The job is bounded by its own budget; the watch outlives it by a minute, not by --timeout.
    const watchMs = (input.budget?.timeoutMs ?? DEFAULT_JOB_BUDGET_MS) + JOB_WATCH_MARGIN_MS;
    job = await followJob(
      client.watchExplanation(submitted.id, { ...context.call, deadlineMs: watchMs }),
      bar,
    );
  } finally {
    bar.stop();
  }
  const explanation = jobGlobalExplanation(job);
  const rows = explanation.groups.reduce((n, g) => n + g.rows, 0);
  context.output.print({
    json: {
      job: job.id,
      state: job.state,
      complete: explanation.usage.complete,
      ...(explanation.usage.complete ? {} : { incomplete_reason: explanation.usage.incompleteReason }),
      ...globalImportanceJson(explanation.message),
    },
    human: () => [
      ...globalImportanceSections(explanation.message),
      fields(
        [
          ['events matched', explanation.eventsMatched],
          ['rows explained', rows],
          ['model calls', explanation.usage.modelCalls],
          [
            'result',
            explanation.usage.complete
              ? job.state
              : `${job.state}: ${explanation.usage.incompleteReason || 'incomplete'}`,
          ],
        ],
        'global explanation',
      ),
    ],
  });
}

/** Registers `explain global` under `explain`. */
export function registerExplainGlobalCommand(explain: Command, frame: CliFrame): void {
  // `explain`'s own flags (--model, --method, --background, ...) stop at `global`: what
  // follows it is the global command's, or `explain` would take them as its own.
  explain.enablePositionalOptions();
  frame
    .command(explain, 'global [model]', {
      description:
        'mean |attribution| per feature per model version over the stored events of a time range (a job with a progress bar)',
      service: 'explainer',
      timeout: GLOBAL_SUBMIT_TIMEOUT,
    })
    .option('--model <name>', 'the model whose events are explained (or give it as the argument)')
    .option(
      '--graph <name>',
      'explain through this graph (on the router), its events (of the model, when named)',
    )
    .option('--version <v>', 'only the events of this version (default: every version, one chart each)')
    .requiredOption('--from <time>', 'first time included: ISO-8601, now, or a duration ago (15m, 2h, 7d)')
    .option('--to <time>', 'first time excluded (same forms; default: now)')
    .addOption(
      new Option('--method <method>', 'the attribution method')
        .choices(GLOBAL_METHODS)
        .default('kernel-shap'),
    )
    .option(
      '--max-rows <n>',
      `rows explained at most, a seeded sample when the range holds more (default: ${DEFAULT_GLOBAL_MAX_ROWS}; at most ${MAX_GLOBAL_MAX_ROWS})`,
    )
    .option('--background <file.csv>', 'background rows, columns by name (required for kernel-shap)')
    .option('--columns <a,b,...>', "the background CSV's columns that are the model's features, in order")
    .option('--samples <n>', 'kernel-shap: coalitions evaluated per row (default: 2 x features + 2048)')
    .option('--steps <n>', 'integrated-gradients: integration steps (default: 50)')
    .option(
      '--target-index <i>',
      "an output column explained (repeatable or a,b; default: the method's)",
      collect,
    )
    .option('--seed <n>', 'seed of the row sample and every random draw (default: 0)')
    .option('--budget-ms <ms>', "the job's time budget; a partial result when it runs out (default: 10 min)")
    .option(
      '--metadata-address <host:port>',
      "where the model's metadata is read for --background (default: the model-server's address; the router's with --graph)",
    )
    .action(frame.run<GlobalFlags>(explainGlobal));
}
