/**
 * `sightline outlier ...`: the outlier service's detectors through the SDK.
 *
 * - `fit NAME --kind K --reference FILE` creates the detector when it is missing (with the
 *   settings flags and a threshold rule: the 95th percentile of the reference's own scores
 *   unless --threshold, --threshold-percentile or --contamination says otherwise), then fits
 *   it through FitWithProgress: an autoencoder's epochs drive a progress bar. A detector of
 *   another kind, or other settings, is a usage error saying how to delete it.
 * - `score NAME --data FILE` prints Predict's verdict per row (score, verdict, per-feature
 *   scores for the autoencoder) and the threshold; a `label` column is shown, not sent.
 * - `infer-threshold`, `list`, `get`, `delete`, `attach`, `detach`, `events`, and `run` (the
 *   stored events of a time range, with a progress bar, listing the outliers found).
 */
import path from 'node:path';
import { InternalError } from '@sightline/errors';
import {
  AlreadyExistsError,
  NotFoundError,
  OUTLIER_KINDS,
  OUTLIER_LABEL_COLUMN,
  type OutlierClient,
  type OutlierData,
  type OutlierDetector,
  type OutlierEventVerdict,
  type OutlierFitOptions,
  type OutlierKind,
} from '@sightline/sdk';
import { type Command, Option } from 'commander';
import type { CliFrame, CommandContext } from '../frame/cli-frame.js';
import { fields, table, text } from '../frame/output.js';
import type { Progress, ProgressBar } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import { readTableFile, type TableFile } from '../inputs/table-file.js';
import { selectorText } from './detector-view.js';
import { osUser } from './drift.js';
import { addSelectorFlags, type SelectorFlags, selectorFromFlags, wholeFlag } from './drift-flags.js';
import { driftJson as outlierJson } from './drift-view.js';
import {
  collectPages,
  scanWithProgress,
  skippedCell,
  timeFilterFromFlags,
  timeRangeFromFlags,
} from './history-scan.js';
import {
  DEFAULT_THRESHOLD_PERCENTILE,
  type GivenOutlierSettings,
  namingOutlierFlag,
  type OutlierSettingsFlags,
  outlierKindFlag,
  outlierSettingsConflicts,
  outlierSettingsFromFlags,
  settingsForKind,
} from './outlier-flags.js';
import {
  fitLine,
  historyOutliersTable,
  OUTLIER_DETECTOR_COLUMNS,
  OUTLIER_EVENT_COLUMNS,
  outlierDetectorRow,
  outlierDetectorSections,
  outlierEventRow,
  outlierLineageFields,
  scoreSections,
  thresholdText,
  trainingText,
} from './outlier-view.js';

/**
 * `fit`'s default `--timeout`, the deadline of the whole fit: above the service's default
 * training budget (600 s), so an autoencoder's own budget, not the CLI, ends a long training.
 */
export const DEFAULT_OUTLIER_FIT_TIMEOUT = '15m';
/** `score`'s and `infer-threshold`'s default `--timeout`: a large file scores in one call. */
export const DEFAULT_OUTLIER_SCORE_TIMEOUT = '5m';
/** `run`'s default `--timeout`: the deadline of the whole scan. */
export const DEFAULT_OUTLIER_RUN_TIMEOUT = '1h';
/** `events`' default `--limit`. */
export const DEFAULT_OUTLIER_EVENTS_LIMIT = 100;
/** The largest `events --limit`: every event is held in memory for the table. */
export const MAX_OUTLIER_EVENTS_LIMIT = 1_000_000;
/** Events asked per ListOutlierEvents page: the service's maximum page size. */
export const OUTLIER_EVENTS_PAGE_SIZE = 1000;

/** The selector flags of `attach` and `run` (`--tensors`, plural, as the issue names it). */
interface OutlierSelectorFlags extends Omit<SelectorFlags, 'tensor'> {
  readonly tensors?: string;
}

interface FitFlags extends OutlierSettingsFlags {
  readonly reference: string;
}

/** A data file read for an outlier command, with what the table shows beside the scores. */
interface OutlierFile {
  readonly data: OutlierData;
  readonly rows: number;
  /** The features sent, in order (the `label` column left out). */
  readonly featureNames: readonly string[];
  /** The `label` column's cells, when the file has one. */
  readonly labels: readonly (string | number)[] | undefined;
}

/**
 * Reads a CSV (or NPY) file for an outlier command: numeric columns only, a `label` column
 * kept aside (the SDK leaves it out of the call).
 *
 * @throws UsageError naming the flag, the file and the text column.
 */
async function readOutlierFile(file: string, flag: string, progress: Progress): Promise<OutlierFile> {
  const read: TableFile = await readTableFile(file, flag, { progress });
  const text = read.columns.find((c) => c.type === 'categorical' && c.name !== OUTLIER_LABEL_COLUMN);
  if (text !== undefined) {
    throw new UsageError(
      `${flag} ${file}: column ${JSON.stringify(text.name)} holds text; outlier detectors score numeric columns only (a column named "${OUTLIER_LABEL_COLUMN}" is left out)`,
    );
  }
  const featureNames = read.columns.map((c) => c.name).filter((name) => name !== OUTLIER_LABEL_COLUMN);
  if (featureNames.length === 0) {
    throw new UsageError(`${flag} ${file}: no column besides "${OUTLIER_LABEL_COLUMN}" to score`);
  }
  const table =
    'columns' in read.data ? (read.data.columns as Record<string, ArrayLike<string | number>>) : {};
  const label = table[OUTLIER_LABEL_COLUMN];
  return {
    data: read.data,
    rows: read.rows,
    featureNames,
    labels: label === undefined ? undefined : Array.from(label),
  };
}

function selectorFlags(flags: OutlierSelectorFlags): SelectorFlags {
  return { ...flags, ...(flags.tensors !== undefined && { tensor: flags.tensors }) };
}

function detectorJson(detector: OutlierDetector) {
  return outlierJson(detector);
}

/**
 * Fits through FitWithProgress: an autoencoder's epochs drive a bar; other kinds (one
 * answer) show the ticking line of a long call.
 */
export async function fitStreaming(
  progress: Progress,
  client: OutlierClient,
  name: string,
  kind: OutlierKind,
  data: OutlierData,
  options: OutlierFitOptions,
): Promise<OutlierDetector> {
  let bar: ProgressBar | undefined;
  const consume = async (): Promise<OutlierDetector> => {
    try {
      for await (const item of client.fitWithProgress(name, data, options)) {
        if (item.kind === 'fitted') return item.detector;
        bar ??= progress.bar(`training ${JSON.stringify(name)}, epochs`, item.progress.epochs);
        bar.update(item.progress.epoch);
      }
    } finally {
      bar?.stop();
    }
    throw new InternalError(
      `FitWithProgress for detector ${JSON.stringify(name)} ended without the fitted detector`,
    );
  };
  return kind === 'autoencoder' ? consume() : progress.during(`fitting ${JSON.stringify(name)}`, consume());
}

/**
 * Creates the detector when it is missing (`--kind` then required); for one that exists,
 * checks that `--kind` and the settings flags given agree with it. Answers whether it
 * created it, and the kind.
 */
async function ensureDetector(
  context: CommandContext<FitFlags>,
  client: OutlierClient,
  name: string,
  given: GivenOutlierSettings,
): Promise<{ created: boolean; kind: OutlierKind }> {
  const kindGiven = context.flags.kind === undefined ? undefined : outlierKindFlag(context.flags.kind);
  let existing: OutlierDetector | undefined;
  try {
    existing = (await client.get(name, context.call)).detector;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (existing === undefined) {
    if (kindGiven === undefined) {
      throw new UsageError(
        `--kind: required to create detector ${JSON.stringify(name)} (${OUTLIER_KINDS.join(', ')})`,
      );
    }
    try {
      await client.createDetector(name, { settings: settingsForKind(given, kindGiven), ...context.call });
      return { created: true, kind: kindGiven };
    } catch (error) {
      // Created by someone else meanwhile: fit it, after the same checks.
      if (!(error instanceof AlreadyExistsError)) throw namingOutlierFlag(error);
      existing = (await client.get(name, context.call)).detector;
    }
  }
  const remedy = `delete it first (sightline outlier delete ${name}) to change them, or leave the flag out`;
  if (kindGiven !== undefined && existing.kind !== kindGiven) {
    throw new UsageError(
      `--kind ${kindGiven}: detector ${JSON.stringify(name)} exists as kind ${existing.kind}; delete it first (sightline outlier delete ${name}) to fit another kind`,
    );
  }
  settingsForKind(given, existing.kind);
  const [conflict] = outlierSettingsConflicts(given, existing.settings);
  if (conflict !== undefined) {
    throw new UsageError(
      `${conflict.flag} ${conflict.given}: detector ${JSON.stringify(name)} exists with ${conflict.saved}; its settings are fixed when it is created: ${remedy}`,
    );
  }
  return { created: false, kind: existing.kind };
}

/** The selector flags as `outlier` names them. */
function addSelectorOptions(command: Command): Command {
  return addSelectorFlags(command, '--tensors', 'as the fit named them');
}

/** Registers the `outlier` group. */
export function registerOutlierCommands(program: Command, frame: CliFrame): void {
  const outlier = frame.group(
    program,
    'outlier',
    "the outlier service's detectors: fit, score, infer-threshold, list, get, delete, attach, detach, events, run",
  );

  frame
    .command(outlier, 'fit <name>', {
      description:
        "create the detector if it is missing, then fit it on a reference file (a new version), showing an autoencoder's epochs",
      service: 'outlier',
      timeout: DEFAULT_OUTLIER_FIT_TIMEOUT,
    })
    .requiredOption(
      '--reference <file>',
      `the reference data: CSV with a header (numeric columns; a "${OUTLIER_LABEL_COLUMN}" column is left out) or NPY`,
    )
    .addOption(
      new Option('--kind <kind>', 'the detector kind (required when it is created)').choices([
        ...OUTLIER_KINDS,
      ]),
    )
    .option(
      '--threshold-percentile <p>',
      `the threshold: this percentile of the reference's own scores (default: ${DEFAULT_THRESHOLD_PERCENTILE}, unless --threshold or --contamination)`,
    )
    .option('--threshold <score>', 'a fixed threshold on the instance score instead of a percentile')
    .option(
      '--seed <n>',
      'seed of sampling, MCD starts or weight initialisation (default: drawn, then saved)',
    )
    .option('--trees <n>', 'iforest: trees in the forest (default: 100)')
    .option('--max-samples <n>', 'iforest: rows sampled per tree (default: min(256, reference rows))')
    .option('--max-features <fraction>', 'iforest: the fraction of features drawn per tree (default: 1)')
    .option('--bootstrap', 'iforest: draw rows with replacement')
    .option(
      '--contamination <fraction>',
      'iforest: the share of the reference expected to be outliers, in (0, 0.5]: a threshold at the 100*(1-c) percentile',
    )
    .option('--robust', 'mahalanobis: robust mean and covariance by FastMCD (no updates then)')
    .option('--support-fraction <fraction>', "mahalanobis: MCD's support fraction, in (0.5, 1]")
    .option(
      '--ridge <r>',
      "mahalanobis: added to the covariance's diagonal (times the mean variance); unset, a singular covariance is refused naming its columns",
    )
    .option(
      '--max-n <rows>',
      'mahalanobis with updates: the running statistics weigh the newest N rows (default: all)',
    )
    .option(
      '--update-on-predict',
      "mahalanobis: update the mean and covariance with each score's inlier rows",
    )
    .option('--update-from-live', "mahalanobis: update them with the live stream's inlier rows once attached")
    .option(
      '--hidden-units <units>',
      'autoencoder: encoder layer sizes, outermost first, e.g. 8,4 (default: features/2, features/4)',
    )
    .option('--epochs <n>', 'autoencoder: passes over the reference (default: 50)')
    .option('--batch-size <n>', 'autoencoder: rows per gradient step (default: 64)')
    .option('--learning-rate <rate>', "autoencoder: Adam's learning rate (default: 0.001)")
    .option(
      '--max-training-seconds <s>',
      "autoencoder: the training's time budget; past it the fit fails and saves nothing (default: 600)",
    )
    .action(
      frame.run<FitFlags>(async (context) => {
        const [name] = context.args as [string];
        const { flags } = context;
        const given = outlierSettingsFromFlags(flags);
        if (flags.kind !== undefined) settingsForKind(given, outlierKindFlag(flags.kind));
        const reference = await readOutlierFile(flags.reference, '--reference', context.progress);
        const client = context.sightline().outlier;
        const { created, kind } = await ensureDetector(context, client, name, given);
        let detector: OutlierDetector;
        try {
          detector = await fitStreaming(context.progress, client, name, kind, reference.data, {
            creator: osUser(context.env),
            referenceSource: path.resolve(flags.reference),
            ...context.call,
            // A stream has no deadline of its own: --timeout bounds the whole fit.
            deadlineMs: context.sightline().options.deadlineMs,
          });
        } catch (error) {
          // A detector this command created and could not fit is removed, so the command can
          // be run again with other settings instead of meeting "exists with ...".
          if (created) await client.delete(name, { signal: context.call.signal }).catch(() => undefined);
          throw namingOutlierFlag(error);
        }
        context.output.print({
          json: { created, detector: detectorJson(detector) },
          human: () => [
            fitLine(name, detector, created),
            fields(
              [
                ['threshold', thresholdText(detector)],
                ...(detector.lineage?.training === undefined
                  ? []
                  : ([['training', trainingText(detector.lineage.training)]] as const)),
              ],
              'detector',
            ),
            ...(detector.lineage === undefined
              ? []
              : [fields(outlierLineageFields(detector.lineage), 'lineage')]),
          ],
        });
      }),
    );

  frame
    .command(outlier, 'score <name>', {
      description:
        'judge each row of a file: its score, verdict and (autoencoder) per-feature scores, and the threshold',
      service: 'outlier',
      timeout: DEFAULT_OUTLIER_SCORE_TIMEOUT,
    })
    .requiredOption(
      '--data <file>',
      `the rows: CSV with the fit's columns (a "${OUTLIER_LABEL_COLUMN}" column is shown, not sent) or NPY`,
    )
    .action(
      frame.run<{ data: string }>(async (context) => {
        const [name] = context.args as [string];
        const batch = await readOutlierFile(context.flags.data, '--data', context.progress);
        const prediction = await context.progress.during(
          `scoring ${batch.rows} rows`,
          context.sightline().outlier.predict(name, batch.data, context.call),
        );
        context.output.print({
          json: outlierJson({
            detector: name,
            meta: prediction.meta,
            threshold: prediction.data.threshold,
            featureNames: batch.featureNames,
            ...(batch.labels !== undefined && { labels: batch.labels }),
            data: prediction.data,
          }),
          human: () => scoreSections(name, prediction, batch.featureNames, batch.labels),
        });
      }),
    );

  frame
    .command(outlier, 'infer-threshold <name>', {
      description:
        'set the threshold at a percentile of the scores of a file of (mostly) inliers, typically the reference',
      service: 'outlier',
      timeout: DEFAULT_OUTLIER_SCORE_TIMEOUT,
    })
    .requiredOption('--data <file>', "the rows: CSV with the fit's columns or NPY")
    .option(
      '--percentile <p>',
      `the share of the rows to score at or below it, in (0, 100] (default: ${DEFAULT_THRESHOLD_PERCENTILE})`,
    )
    .option('--false-positive-rate <rate>', 'instead: the share of inliers allowed to be flagged, in (0, 1)')
    .action(
      frame.run<{ data: string; percentile?: string; falsePositiveRate?: string }>(async (context) => {
        const [name] = context.args as [string];
        const { flags } = context;
        if (flags.percentile !== undefined && flags.falsePositiveRate !== undefined) {
          throw new UsageError('--false-positive-rate: give it or --percentile, not both');
        }
        const percentile =
          flags.percentile === undefined
            ? undefined
            : outlierSettingsFromFlags({ thresholdPercentile: flags.percentile }).thresholdPercentile;
        const rate = flags.falsePositiveRate === undefined ? undefined : Number(flags.falsePositiveRate);
        if (rate !== undefined && !(rate > 0 && rate < 1)) {
          throw new UsageError(
            `--false-positive-rate: expected a number between 0 and 1 (exclusive), got ${JSON.stringify(flags.falsePositiveRate)}`,
          );
        }
        const batch = await readOutlierFile(flags.data, '--data', context.progress);
        const result = await context.progress.during(
          `scoring ${batch.rows} rows`,
          context.sightline().outlier.inferThreshold(name, batch.data, {
            ...(percentile !== undefined && { thresholdPercentile: percentile }),
            ...(rate !== undefined && { expectedFalsePositiveRate: rate }),
            ...context.call,
          }),
        );
        context.output.print({
          json: { threshold: result.threshold, detector: detectorJson(result.detector) },
          human: () => [
            text(`detector ${JSON.stringify(name)}: threshold ${thresholdText(result.detector)}`),
          ],
        });
      }),
    );

  frame
    .command(outlier, 'list', {
      description: 'list the detectors in name order (the default of `outlier`)',
      service: 'outlier',
      isDefault: true,
    })
    .action(
      frame.run(async (context) => {
        const detectors: OutlierDetector[] = [];
        for await (const detector of context.sightline().outlier.listAll(context.call))
          detectors.push(detector);
        context.output.print({
          json: { detectors: detectors.map(detectorJson) },
          human: () => [table([...OUTLIER_DETECTOR_COLUMNS], detectors.map(outlierDetectorRow))],
        });
      }),
    );

  frame
    .command(outlier, 'get <name>', {
      description:
        "show a detector: settings, state, threshold and its source, attachment, every version's lineage",
      service: 'outlier',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        const { detector, versions } = await context.sightline().outlier.get(name, context.call);
        context.output.print({
          json: { detector: detectorJson(detector), versions: outlierJson(versions) },
          human: () => outlierDetectorSections(detector, versions),
        });
      }),
    );

  frame
    .command(outlier, 'delete <name>', {
      description: 'delete a detector (detaching it first) and every saved version; its events stay',
      service: 'outlier',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        await context.sightline().outlier.delete(name, context.call);
        context.output.print({
          json: { detector: name, deleted: true },
          human: () => [text(`detector ${JSON.stringify(name)} is deleted`)],
        });
      }),
    );

  addSelectorOptions(
    frame
      .command(outlier, 'attach <name>', {
        description:
          'score every live event of a model, version or graph node from now on (each scored request an outlier event)',
        service: 'outlier',
      })
      .option(
        '--model <model>',
        'the model (or graph) whose events are scored (default: the selector it was created with)',
      ),
  ).action(
    frame.run<OutlierSelectorFlags>(async (context) => {
      const [name] = context.args as [string];
      const { flags } = context;
      const stray = (['version', 'graph', 'tensors', 'columns', 'side'] as const).find(
        (f) => flags[f] !== undefined,
      );
      if (flags.model === undefined && stray !== undefined) {
        throw new UsageError(`--${stray}: only with --model (the events to score)`);
      }
      const selector = flags.model === undefined ? undefined : selectorFromFlags(selectorFlags(flags));
      const detector = await context.sightline().outlier.attach(name, {
        ...(selector !== undefined && { selector }),
        ...context.call,
      });
      context.output.print({
        json: { detector: detectorJson(detector) },
        human: () => [
          text(
            `detector ${JSON.stringify(name)} is attached: ${detector.live === undefined ? 'its selector' : selectorText(detector.live)}`,
          ),
        ],
      });
    }),
  );

  frame
    .command(outlier, 'detach <name>', {
      description: 'stop scoring live events',
      service: 'outlier',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        const detector = await context.sightline().outlier.detach(name, context.call);
        context.output.print({
          json: { detector: detectorJson(detector) },
          human: () => [text(`detector ${JSON.stringify(name)} is detached`)],
        });
      }),
    );

  frame
    .command(outlier, 'events [name]', {
      description: 'list the stored outlier events (one per scored live request), newest first',
      service: 'outlier',
    })
    .option('--outliers-only', 'only events with at least one outlier row')
    .option('--from <time>', 'only events scored at or after this time (ISO-8601, now, or 15m, 2h, 7d ago)')
    .option('--to <time>', 'only events scored before this time')
    .option('--request-id <id>', "only this request's events")
    .option(
      '--limit <n>',
      `at most this many events (default: ${DEFAULT_OUTLIER_EVENTS_LIMIT}; at most ${MAX_OUTLIER_EVENTS_LIMIT})`,
    )
    .action(
      frame.run<{ outliersOnly?: boolean; from?: string; to?: string; requestId?: string; limit?: string }>(
        async (context) => {
          const [name] = context.args as [string | undefined];
          const { flags } = context;
          const limit =
            flags.limit === undefined
              ? DEFAULT_OUTLIER_EVENTS_LIMIT
              : wholeFlag(flags.limit, '--limit', 1, MAX_OUTLIER_EVENTS_LIMIT);
          const { from, to } = timeFilterFromFlags(flags, true);
          const events = await collectPages(limit, OUTLIER_EVENTS_PAGE_SIZE, async (pageSize, pageToken) => {
            const page = await context.sightline().outlier.listOutlierEvents({
              ...(name !== undefined && { name }),
              outliersOnly: flags.outliersOnly === true,
              ...(from !== undefined && { from }),
              ...(to !== undefined && { to }),
              ...(flags.requestId !== undefined && { requestId: flags.requestId }),
              pageSize,
              pageToken,
              ...context.call,
            });
            return { items: page.events, nextPageToken: page.nextPageToken };
          });
          // Events outlive their detector, so a name is checked only when nothing matched it:
          // a mistyped name is NOT_FOUND rather than an empty table.
          if (events.length === 0 && name !== undefined)
            await context.sightline().outlier.get(name, context.call);
          context.output.print({
            json: { events: outlierJson(events) },
            human: () => [table([...OUTLIER_EVENT_COLUMNS], events.map(outlierEventRow))],
          });
        },
      ),
    );

  addSelectorOptions(
    frame
      .command(outlier, 'run <name>', {
        description:
          'score the stored events of a time range: a progress bar, then the outliers found (request id, time, score, rows flagged)',
        service: 'outlier',
        timeout: DEFAULT_OUTLIER_RUN_TIMEOUT,
      })
      .requiredOption('--from <time>', 'first time included: ISO-8601, now, or a duration ago (15m, 2h, 7d)')
      .option('--to <time>', 'first time excluded (same forms; default: now)')
      .option(
        '--model <model>',
        "the model (or graph) whose events are scored (default: the detector's live selector)",
      ),
  ).action(
    frame.run<OutlierSelectorFlags & { from: string; to?: string }>(async (context) => {
      const [name] = context.args as [string];
      const { flags } = context;
      const range = timeRangeFromFlags(flags);
      const { from, to } = range;
      const stray = (['version', 'graph', 'tensors', 'columns', 'side'] as const).find(
        (f) => flags[f] !== undefined,
      );
      if (flags.model === undefined && stray !== undefined) {
        throw new UsageError(`--${stray}: only with --model (the events to score)`);
      }
      const selector = flags.model === undefined ? undefined : selectorFromFlags(selectorFlags(flags));
      const client = context.sightline();
      const outliers: OutlierEventVerdict[] = [];
      const scan = client.outlier.scoreHistory(name, {
        from,
        to,
        ...(selector !== undefined && { selector }),
        // Every event is scored and counted; only those with an outlier row come back.
        outliersOnly: true,
        ...context.call,
        // A stream has no deadline of its own: --timeout bounds the whole scan.
        deadlineMs: client.options.deadlineMs,
      });
      const last = await scanWithProgress(context.progress, name, range, scan, (page) => {
        outliers.push(...page.verdicts.filter((v) => v.isOutlier.some(Boolean)));
        return page.progress;
      });
      context.output.print({
        json: outlierJson({ detector: name, progress: last, outliers }),
        human: () => [
          historyOutliersTable(outliers),
          fields(
            [
              ['events read', last?.eventsRead ?? 0],
              ['events scored', last?.eventsScored ?? 0],
              ['outlier events', last?.outlierEvents ?? outliers.length],
              ['events skipped', skippedCell(last?.eventsSkipped)],
            ],
            'scan',
          ),
        ],
      });
    }),
  );
}
