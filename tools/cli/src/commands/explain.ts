/**
 * `sightline explain`: why a served model (or graph) predicted what it did, through the
 * explainer (`sightline.explainer`, port 8005).
 *
 * `explain --model NAME --method M --instances FILE.csv`: the CSV's columns become the model's
 * inputs (read from its ModelMetadata on the model-server, or the router for `--graph`; the
 * header names are the feature names); per row, the attributions as a bar chart (or `--json`),
 * an anchor's rule, or counterfactuals. `--image FILE.png` explains one image (occlusion,
 * Integrated Gradients) and `--out heatmap.png` draws its heatmap over it.
 */
import type { ExplainInput, Explanation, ModelMetadata, Sightline } from '@sightline/sdk';
import { type Command, Option } from 'commander';
import type { CliFrame, CommandContext } from '../frame/cli-frame.js';
import { type ConnectionFlags, resolveConnection } from '../frame/connection.js';
import { fields } from '../frame/output.js';
import { sightlineClient } from '../frame/sdk-client.js';
import { explainUnreachable } from '../frame/unreachable.js';
import { UsageError } from '../frame/usage-error.js';
import { writeExplanationPng } from '../images/explanation-png.js';
import type { ImageTensorLayout } from '../images/png-image.js';
import { readInputBytes } from '../inputs/input-file.js';
import { alignFeatures, parseFeatureCsv, tableTensors } from './explain-csv.js';
import {
  EXPLAIN_METHODS,
  IMAGE_METHODS,
  type MethodFlags,
  methodOf,
  runSettingsOf,
} from './explain-flags.js';
import { registerExplainGlobalCommand } from './explain-global.js';
import { IMAGE_LAYOUTS, type ImageInstance, imageInputOf, imageInstance } from './explain-image.js';
import { followJob, jobExplanation } from './explain-job.js';
import { explanationJson, explanationSections } from './explain-view.js';

/** The default `--timeout` of an explanation: the explainer's budget is the deadline less 50 ms. */
export const EXPLAIN_TIMEOUT = '2m';
/** The explainer's --default-job-budget-ms: a job's time budget when --budget-ms is unset. */
export const DEFAULT_JOB_BUDGET_MS = 600_000;
/** How long `--job` keeps watching past the job's budget (queueing, the final message). */
export const JOB_WATCH_MARGIN_MS = 60_000;
/**
 * The largest --instances, --background or --image file read by default: the explainer's
 * 64 MiB request limit (its --max-receive-message-bytes). A file is held whole in memory, so
 * a bigger one is refused before it is read, not after minutes of parsing.
 */
export const DEFAULT_EXPLAIN_MAX_INPUT_BYTES = 64 * 1024 ** 2;

interface ExplainFlags extends MethodFlags, ConnectionFlags {
  readonly model?: string;
  readonly graph?: string;
  readonly modelVersion?: string;
  readonly metadataAddress?: string;
  readonly instances?: string;
  readonly columns?: string;
  readonly background?: string;
  readonly image?: string;
  readonly imageInput?: string;
  readonly layout?: ImageTensorLayout;
  readonly pixelRange?: 'unit' | 'byte';
  readonly out?: string;
  readonly job?: boolean;
  readonly maxInputBytes?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The target's metadata, from the model-server (or the router for a graph). */
export async function targetMetadata(
  context: CommandContext<
    Pick<ExplainFlags, 'graph' | 'modelVersion' | 'metadataAddress' | keyof ConnectionFlags>
  >,
  name: string,
): Promise<ModelMetadata> {
  const { flags } = context;
  const connection = resolveConnection(
    flags.graph === undefined ? 'model-server' : 'router',
    { ...flags, address: flags.metadataAddress },
    context.env,
    flags.timeout ?? EXPLAIN_TIMEOUT,
  );
  const client: Sightline = sightlineClient(connection);
  try {
    return await client.inference.modelMetadata(name, {
      ...context.call,
      ...(flags.modelVersion === undefined ? {} : { version: flags.modelVersion }),
    });
  } catch (error) {
    // Named after the model-server (or router) it came from, not the explainer the command calls.
    throw explainUnreachable(error, connection);
  } finally {
    client.close();
  }
}

/** --max-input-bytes, checked. */
export function maxInputBytesOf(flags: { readonly maxInputBytes?: string }): number {
  if (flags.maxInputBytes === undefined) return DEFAULT_EXPLAIN_MAX_INPUT_BYTES;
  const bytes = Number(flags.maxInputBytes);
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(
      `--max-input-bytes: expected a positive whole number of bytes, got ${JSON.stringify(flags.maxInputBytes)}`,
    );
  }
  return bytes;
}

/** A whole input file, refused past --max-input-bytes. */
function readFileFor(path: string, flag: string, context: CommandContext<ExplainFlags>): Promise<Buffer> {
  return readInputBytes(path, {
    source: `${flag} ${path}`,
    progress: context.progress,
    maxBytes: maxInputBytesOf(context.flags),
  });
}

async function readCsv(path: string, flag: string, context: CommandContext<ExplainFlags>): Promise<string> {
  return (await readFileFor(path, flag, context)).toString('utf8');
}

/** What the flags ask for, checked before anything is called. */
function checkFlags(flags: ExplainFlags): string {
  if (flags.method === undefined)
    throw new UsageError(`explain: choose --method ${EXPLAIN_METHODS.join('|')}`);
  if ((flags.model === undefined) === (flags.graph === undefined))
    throw new UsageError('explain: name the model with --model NAME, or a graph with --graph NAME');
  if ((flags.instances === undefined) === (flags.image === undefined))
    throw new UsageError(
      'explain: give the rows with --instances FILE.csv, or one image with --image FILE.png',
    );
  if (flags.image !== undefined && !IMAGE_METHODS.has(flags.method))
    throw new UsageError(
      `--image: only for --method ${[...IMAGE_METHODS].join(' or ')}, not ${flags.method}`,
    );
  if (flags.out !== undefined && flags.image === undefined)
    throw new UsageError('--out: draws the heatmap over the image, so it needs --image FILE.png');
  if (flags.columns !== undefined && flags.instances === undefined)
    throw new UsageError('--columns: picks columns of --instances FILE.csv');
  maxInputBytesOf(flags);
  return (flags.model ?? flags.graph)!;
}

async function explainLocal(context: CommandContext<ExplainFlags>): Promise<void> {
  const { flags } = context;
  const name = checkFlags(flags);
  const method = methodOf(flags);
  const settings = runSettingsOf(flags);
  const metadata = await targetMetadata(context, name);
  let instances: ExplainInput['instances'];
  let featureNames: readonly string[] | undefined;
  let background: ExplainInput['background'];
  let image: ImageInstance | undefined;
  if (flags.instances !== undefined) {
    const source = `--instances ${flags.instances}`;
    const columns = flags.columns?.split(',').map((c) => c.trim());
    const table = parseFeatureCsv(await readCsv(flags.instances, '--instances', context), source, columns);
    instances = tableTensors(table, metadata.inputs, name, source);
    featureNames = table.names;
    if (flags.background !== undefined) {
      const backgroundSource = `--background ${flags.background}`;
      const rows = alignFeatures(
        parseFeatureCsv(await readCsv(flags.background, '--background', context), backgroundSource),
        table.names,
        backgroundSource,
      );
      background = { rows: tableTensors(rows, metadata.inputs, name, backgroundSource) };
    }
  } else {
    const label = `--image ${flags.image}`;
    const bytes = await readFileFor(flags.image!, '--image', context);
    image = imageInstance(bytes, label, imageInputOf(metadata.inputs, flags.imageInput, name), {
      ...(flags.layout ? { layout: flags.layout } : {}),
      ...(flags.pixelRange ? { range: flags.pixelRange } : {}),
    });
    instances = [image.tensor];
    if (flags.background !== undefined)
      throw new UsageError('--background: not taken with --image (occlusion fills with 0 then)');
  }
  const input: ExplainInput = {
    model: name,
    ...(flags.graph === undefined ? {} : { graph: true }),
    ...(flags.modelVersion === undefined ? {} : { version: flags.modelVersion }),
    instances,
    method,
    ...(featureNames ? { featureNames } : {}),
    ...(background ? { background } : {}),
    ...(image ? { image: image.image } : {}),
    ...settings,
  };
  const client = context.sightline().explainer;
  let explanation: Explanation;
  if (flags.job === true) {
    const submitted = await client.startExplanation(input, context.call);
    const bar = context.progress.bar(
      `explain ${name} (${flags.method}), job ${submitted.id}`,
      instances[0]?.shape[0] ?? 1,
    );
    try {
      // The job is bounded by its own budget; the watch outlives it by a minute, not by --timeout.
      const watchMs = (settings.budget?.timeoutMs ?? DEFAULT_JOB_BUDGET_MS) + JOB_WATCH_MARGIN_MS;
      explanation = jobExplanation(
        await followJob(client.watchExplanation(submitted.id, { ...context.call, deadlineMs: watchMs }), bar),
      );
    } finally {
      bar.stop();
    }
  } else {
    explanation = await context.progress.during(
      `explain ${name} (${flags.method})`,
      client.explain(input, context.call),
    );
  }
  let written: string | undefined;
  if (flags.out !== undefined && image) {
    const heatmap = explanation.rows[0]?.attributions?.[0]?.heatmap;
    if (!heatmap) throw new UsageError(`--out: the explanation of ${name} has no heatmap to draw`);
    await writeExplanationPng(flags.out, heatmap, image);
    written = flags.out;
  }
  context.output.print({
    json: { ...explanationJson(explanation), ...(written ? { heatmap_png: written } : {}) },
    human: () => [...explanationSections(explanation), ...(written ? [fields([['heatmap', written]])] : [])],
  });
}

/** Registers `explain` and `explain global`. */
export function registerExplainCommands(program: Command, frame: CliFrame): void {
  const explain = frame
    .command(program, 'explain', {
      description:
        'why a model predicted what it did: Kernel SHAP, Anchors, counterfactuals, Integrated Gradients or occlusion, through the explainer',
      service: 'explainer',
      timeout: EXPLAIN_TIMEOUT,
    })
    .option('--model <name>', 'the model explained (on the model-server)')
    .option('--graph <name>', 'the graph explained (on the router), instead of --model')
    .option('--model-version <v>', 'the version explained (default: the one the server chooses)')
    .addOption(
      // Checked in the action, not by commander: a mandatory option would bind subcommands too.
      new Option('--method <method>', 'the explanation method (required)').choices(EXPLAIN_METHODS),
    )
    .option('--instances <file.csv>', 'the rows to explain: a CSV with a header of feature names')
    .option('--columns <a,b,...>', "the CSV's columns that are the model's features, in order (default: all)")
    .option(
      '--background <file.csv>',
      'background rows (Kernel SHAP, Anchors, counterfactuals need them), columns by name',
    )
    .option('--image <file.png>', 'one image to explain (integrated-gradients, occlusion)')
    .option('--image-input <name>', "the model input the image is (default: the model's only input)")
    .addOption(
      new Option('--layout <layout>', "the image input's layout (default: from its shape)").choices(
        IMAGE_LAYOUTS,
      ),
    )
    .addOption(
      new Option(
        '--pixel-range <range>',
        'pixel values as unit [0, 1] or byte [0, 255] (default: unit)',
      ).choices(['unit', 'byte']),
    )
    .option('--out <heatmap.png>', "write the first output's heatmap over the image as a PNG (with --image)")
    .option('--samples <n>', 'kernel-shap: coalitions evaluated (default: 2 x features + 2048)')
    .option('--threshold <p>', 'anchors: the precision an anchor must reach (default: 0.95)')
    .option('--steps <n>', 'integrated-gradients: integration steps (default: 50)')
    .option('--window <px>', 'occlusion: the square window side (default: 8)')
    .option('--stride <px>', 'occlusion: the step between windows (default: window / 2)')
    .option('--superpixels <n>', 'occlusion: mask about n SLIC superpixels instead of windows')
    .option(
      '--target-index <i>',
      "an output column explained (repeatable or a,b; default: the method's)",
      collect,
    )
    .option('--seed <n>', 'seed of every random draw (default: 0, so the same call answers the same)')
    .option(
      '--budget-ms <ms>',
      "the explanation's time budget; partial results when it runs out (default: --timeout less 50 ms; longer than --timeout fails)",
    )
    .option(
      '--metadata-address <host:port>',
      "where the model's metadata is read (default: the model-server's address, 127.0.0.1:8001, env SIGHTLINE_MODEL_SERVER_ADDRESS; the router's with --graph)",
    )
    .option(
      '--max-input-bytes <bytes>',
      `the largest --instances, --background or --image file read (default: ${DEFAULT_EXPLAIN_MAX_INPUT_BYTES}, the explainer's request limit)`,
    )
    .option(
      '--job',
      'run as a job (StartExplanation) with a progress bar over the rows: bounded by --budget-ms (default 10 min), not one call',
    )
    .action(frame.run<ExplainFlags>(explainLocal));
  registerExplainGlobalCommand(explain, frame);
}
