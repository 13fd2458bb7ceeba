/**
 * `sightline drift ...`: the drift service's detectors through the SDK.
 *
 * - `fit NAME --reference FILE` (or `--from T --to T --model M`: stored events) creates the detector when it is missing (with the settings
 *   flags), then fits it on the file, recording the OS user and the file's path in the new
 *   version's lineage. For a detector that exists, a settings flag that differs from its
 *   saved settings is a usage error (settings are fixed at creation: delete to change them).
 *   `--trailing OFFSET --length L [--refit-every I] --model M` instead creates it with a
 *   trailing reference (the service refits it on that schedule) and fits the first version now.
 * - `score NAME --data FILE` prints Predict's verdict: per feature the statistic, p-value,
 *   effect sizes and verdict, then the overall verdict with its threshold and correction
 *   (MMD/LSDD: statistic, bandwidth, p-value).
 * - `list`, `get`, `delete`, `attach`, `detach`, `events`, and `run` (a stored time range,
 *   window by window, with a progress bar from the stream's progress messages).
 */
import { userInfo } from 'node:os';
import path from 'node:path';
import {
  AlreadyExistsError,
  DRIFT_KINDS,
  type DriftData,
  type DriftDetector,
  type DriftDetectorSettings,
  type DriftHistoryWindow,
  type DriftTrailingReference,
  type FitFromEvents,
  NotFoundError,
} from '@sightline/sdk';
import { type Command, Option } from 'commander';
import type { CliFrame, CommandContext } from '../frame/cli-frame.js';
import { fields, table, text } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { readTableFile } from '../inputs/table-file.js';
import {
  addSelectorFlags,
  checkSettingsForKind,
  listFlag,
  namingFlag,
  parseSpanMs,
  positive,
  type SelectorFlags,
  type SettingsFlags,
  selectorFromFlags,
  settingsConflicts,
  settingsFromFlags,
  type WindowFlags,
  wholeFlag,
  windowFromFlags,
} from './drift-flags.js';
import {
  DETECTOR_COLUMNS,
  detectorRow,
  detectorSections,
  driftEventRow,
  driftJson,
  EVENT_COLUMNS,
  lineageFields,
  predictionSections,
  WINDOW_COLUMNS,
  windowRow,
} from './drift-view.js';
import {
  collectPages,
  scanWithProgress,
  skippedCell,
  timeFilterFromFlags,
  timeRangeFromFlags,
} from './history-scan.js';

/** `fit`'s default `--timeout`: permutation thresholds and online bootstraps take time. */
export const DEFAULT_FIT_TIMEOUT = '10m';
/** `run`'s default `--timeout`: the deadline of the whole scan. */
export const DEFAULT_RUN_TIMEOUT = '1h';
/** `events`' default `--limit`. */
export const DEFAULT_EVENTS_LIMIT = 100;
/** The largest `events --limit`: every event is held in memory for the table. */
export const MAX_EVENTS_LIMIT = 1_000_000;
/** Events asked per ListDriftEvents page: the service's maximum page size. */
export const EVENTS_PAGE_SIZE = 1000;

interface FitFlags extends SettingsFlags, SelectorFlags {
  readonly reference?: string;
  readonly from?: string;
  readonly to?: string;
  readonly categorical?: string;
  readonly trailing?: string;
  readonly length?: string;
  readonly refitEvery?: string;
}

/**
 * The trailing reference `fit --trailing OFFSET --length L [--refit-every I]` asks for
 * (undefined without --trailing), its selector from --model and the other selector flags.
 *
 * @throws UsageError for --length or --refit-every without --trailing, --trailing with
 *   --reference or --from, a missing --length, a bad duration.
 */
export function trailingFromFlags(flags: FitFlags): DriftTrailingReference | undefined {
  if (flags.trailing === undefined) {
    const stray =
      flags.length !== undefined ? 'length' : flags.refitEvery !== undefined ? 'refit-every' : undefined;
    if (stray !== undefined) throw new UsageError(`--${stray}: only with --trailing (a trailing reference)`);
    return undefined;
  }
  if (flags.reference !== undefined || flags.from !== undefined || flags.to !== undefined) {
    throw new UsageError('--trailing: instead of --reference and --from/--to (the service picks the range)');
  }
  if (flags.length === undefined) throw new UsageError('--length: required with --trailing (e.g. 1h)');
  const offsetMs = parseSpanMs(flags.trailing, '--trailing', true);
  return {
    selector: selectorFromFlags(flags),
    offsetMs,
    lengthMs: parseSpanMs(flags.length, '--length'),
    ...(flags.refitEvery !== undefined && {
      refitIntervalMs: parseSpanMs(flags.refitEvery, '--refit-every'),
    }),
  };
}

/**
 * The reference `fit` sends: the file's table, or the stored events of a range; with the
 * file's column names (undefined for events, whose names the service reads).
 *
 * @throws UsageError unless exactly one of --reference and --from is given; for a bad file,
 *   time or selector.
 */
async function referenceOf(
  context: CommandContext<FitFlags>,
): Promise<{ readonly data: DriftData | FitFromEvents; readonly columns: string[] | undefined }> {
  const { flags } = context;
  const trailing = trailingFromFlags(flags);
  if (trailing !== undefined) {
    // The first version now, from the range the service's schedule will move on from.
    const to = Date.now() - (trailing.offsetMs ?? 0);
    return { data: { from: to - trailing.lengthMs, to, selector: trailing.selector! }, columns: undefined };
  }
  if ((flags.reference === undefined) === (flags.from === undefined)) {
    throw new UsageError(
      '--reference, --from or --trailing: give one, a file, a time range of stored events or a trailing window',
    );
  }
  if (flags.reference !== undefined) {
    const stray = (['to', 'model', 'version', 'graph', 'tensor', 'columns', 'side'] as const).find(
      (flag) => flags[flag] !== undefined,
    );
    if (stray !== undefined)
      throw new UsageError(`--${stray}: only with --from (stored events as the reference)`);
    const file = await readTableFile(flags.reference, '--reference', { progress: context.progress });
    return { data: file.data, columns: file.columns.map((c) => c.name) };
  }
  const { from, to } = timeRangeFromFlags({ from: flags.from!, to: flags.to });
  return { data: { from, to, selector: selectorFromFlags(flags) }, columns: undefined };
}

/** Who runs the command, for the lineage: the OS user, else $USER, else "unknown". */
export function osUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers) has no name.
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

function addWindowOptions(command: Command): Command {
  return command
    .option('--max-rows <n>', "rows that close a window (default: the service's, 1000)")
    .option(
      '--max-duration <duration>',
      'time that closes a window, e.g. 5m, 1h, whichever comes first (default: 1h)',
    )
    .option('--min-rows <n>', 'fewer rows at a time close are carried over, not tested (default: 30)')
    .option('--sliding', 'sliding windows (default: tumbling, each row tested once)')
    .option('--slide-rows <n>', 'sliding: rows dropped after each test (default: max rows / 2)')
    .option(
      '--exact-rows <n>',
      "rows a window holds raw; past them it is summarised and tested approximately, the error stated (default: the service's, 100000)",
    )
    .option('--aligned', 'windows start at multiples of --max-duration, as replicas cut them');
}

function detectorJson(detector: DriftDetector) {
  return driftJson(detector);
}

/** The selector flags as `drift` names them. */
function addSelectorOptions(command: Command): Command {
  return addSelectorFlags(command, '--tensor', 'iris: sepal_length,...');
}

/** Registers the `drift` group. */
export function registerDriftCommands(program: Command, frame: CliFrame): void {
  const drift = frame.group(
    program,
    'drift',
    "the drift service's detectors: fit, score, list, get, delete, attach, detach, run, events",
  );

  addSelectorOptions(
    frame
      .command(drift, 'fit <name>', {
        description:
          'create the detector if it is missing, then fit it on a reference file or stored events (a new version)',
        service: 'drift',
        timeout: DEFAULT_FIT_TIMEOUT,
      })
      .option(
        '--reference <file>',
        'the reference data: CSV with a header (text columns are categorical) or NPY',
      )
      .option(
        '--from <time>',
        'instead of a file: stored events from this time (ISO-8601, now, or 15m, 2h, 7d ago)',
      )
      .option('--to <time>', 'with --from: stored events up to this time (default: now)')
      .option('--model <model>', 'with --from: the model (or graph) whose stored events are the reference')
      .option(
        '--trailing <offset>',
        'instead of a file or --from: a reference trailing the stream, ending this long ago (e.g. 7d; 0: now), refitted by the service on a schedule',
      )
      .option('--length <duration>', "with --trailing: the reference's length (e.g. 1h)")
      .option(
        '--refit-every <duration>',
        'with --trailing: how often the reference moves (default: --length)',
      ),
  )
    .addOption(
      new Option('--kind <kind>', 'the detector kind, when it is created (default: tabular)').choices([
        ...DRIFT_KINDS,
      ]),
    )
    .option('--categorical <columns>', 'features read as categories, comma-separated, when it is created')
    .addOption(
      new Option('--correction <correction>', 'multiple-testing correction (default: bonferroni)').choices([
        'bonferroni',
        'fdr',
      ]),
    )
    .option('--p-val <p>', 'significance level (default: 0.05)')
    .option('--permutations <n>', 'permutations of the MMD or LSDD test (default: 100)')
    .option('--seed <n>', 'seed of permutations and bootstraps (default: drawn, then saved)')
    .addOption(
      new Option('--method <method>', 'KS p-value method, as scipy (default: auto)').choices([
        'auto',
        'exact',
        'asymp',
      ]),
    )
    .option('--ert <rows>', 'online kinds: the expected run time without drift, in rows')
    .option(
      '--window-size <rows>',
      'online kinds: the sliding window length (online-cvm: comma-separated lengths)',
    )
    .option(
      '--bootstraps <n>',
      'online kinds: bootstrap simulations for the thresholds (default: 1000 online-mmd, 10000 online-cvm)',
    )
    .action(
      frame.run<FitFlags>(async (context) => {
        const [name] = context.args as [string];
        const { flags } = context;
        const settings = settingsFromFlags(flags);
        if (settings.kind !== undefined) checkSettingsForKind(settings, settings.kind);
        const categorical =
          flags.categorical === undefined ? undefined : listFlag(flags.categorical, '--categorical');
        const reference = await referenceOf(context);
        if (categorical !== undefined && reference.columns !== undefined) {
          const known = new Set(reference.columns);
          const unknown = categorical.find((column) => !known.has(column));
          if (unknown !== undefined) {
            throw new UsageError(
              `--categorical: ${JSON.stringify(unknown)} is not a column of ${flags.reference} (${[...known].join(', ')})`,
            );
          }
        }
        const client = context.sightline().drift;
        const trailing = trailingFromFlags(flags);
        const created = await ensureDetector(context, name, settings, categorical, trailing);
        let detector: DriftDetector;
        try {
          detector = await context.progress.during(
            `fitting ${JSON.stringify(name)}`,
            client.fit(name, reference.data, {
              creator: osUser(context.env),
              // Stored events: the service records their selector and range itself.
              ...(flags.reference !== undefined && { referenceSource: path.resolve(flags.reference) }),
              ...context.call,
            }),
          );
        } catch (error) {
          // A detector this command created and could not fit is removed, so the command can
          // be run again with other settings instead of meeting "exists; settings are fixed".
          if (created) await client.delete(name, { signal: context.call.signal }).catch(() => undefined);
          throw namingFlag(error);
        }
        context.output.print({
          json: { created, detector: detectorJson(detector) },
          human: () => [
            text(
              `${created ? 'created and fitted' : 'fitted'} detector ${JSON.stringify(name)}: version ${detector.version}, ${detector.referenceRows} reference rows, ${detector.featureCount} features`,
            ),
            ...(detector.lineage === undefined ? [] : [fields(lineageFields(detector.lineage), 'lineage')]),
          ],
        });
      }),
    );

  frame
    .command(drift, 'score <name>', {
      description:
        'test a batch against the reference: per feature statistic, p-value, effect sizes, verdict; then the overall verdict',
      service: 'drift',
      timeout: DEFAULT_FIT_TIMEOUT,
    })
    .requiredOption('--data <file>', "the batch: CSV with a header (the fit's columns) or NPY")
    .action(
      frame.run<{ data: string }>(async (context) => {
        const [name] = context.args as [string];
        const batch = await readTableFile(context.flags.data, '--data', { progress: context.progress });
        const prediction = await context.progress.during(
          `scoring ${batch.rows} rows`,
          context.sightline().drift.predict(name, batch.data, context.call),
        );
        context.output.print({
          json: driftJson({ detector: name, meta: prediction.meta, verdict: prediction.data }),
          human: () => predictionSections(name, prediction),
        });
      }),
    );

  frame
    .command(drift, 'list', {
      description: 'list the detectors in name order (the default of `drift`)',
      service: 'drift',
      isDefault: true,
    })
    .action(
      frame.run(async (context) => {
        const detectors: DriftDetector[] = [];
        for await (const detector of context.sightline().drift.listAll(context.call))
          detectors.push(detector);
        context.output.print({
          json: { detectors: detectors.map(detectorJson) },
          human: () => [table([...DETECTOR_COLUMNS], detectors.map(detectorRow))],
        });
      }),
    );

  frame
    .command(drift, 'get <name>', {
      description: "show a detector, its attachment and every version's lineage",
      service: 'drift',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        const { detector, versions } = await context.sightline().drift.get(name, context.call);
        context.output.print({
          json: { detector: detectorJson(detector), versions: driftJson(versions) },
          human: () => detectorSections(detector, versions),
        });
      }),
    );

  frame
    .command(drift, 'reset <name>', {
      description: "online kinds: empty the detector's window and restart its time at 0 (thresholds kept)",
      service: 'drift',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        const detector = await context.sightline().drift.reset(name, context.call);
        context.output.print({
          json: { detector: detectorJson(detector) },
          human: () => [
            text(`detector ${JSON.stringify(name)} is reset: time 0, version ${detector.version}`),
          ],
        });
      }),
    );

  frame
    .command(drift, 'infer-threshold <name>', {
      description:
        'recalibrate: online kinds compute new thresholds (a new version), with a new --ert if given; others show the threshold in use',
      service: 'drift',
      timeout: DEFAULT_FIT_TIMEOUT,
    })
    .option('--ert <rows>', 'online kinds: a new expected run time without drift, in rows')
    .action(
      frame.run<{ ert?: string }>(async (context) => {
        const [name] = context.args as [string];
        const ert = context.flags.ert === undefined ? undefined : positive(context.flags.ert, '--ert');
        const result = await context.progress.during(
          `recalibrating ${JSON.stringify(name)}`,
          context
            .sightline()
            .drift.inferThreshold(name, { ...(ert !== undefined && { ert }), ...context.call }),
        );
        context.output.print({
          json: { threshold: result.threshold, detector: detectorJson(result.detector) },
          human: () => [
            text(
              `detector ${JSON.stringify(name)}: threshold ${result.threshold}, version ${result.detector.version}`,
            ),
          ],
        });
      }),
    );

  frame
    .command(drift, 'delete <name>', {
      description: 'delete a detector, every saved version and its attachment',
      service: 'drift',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        await context.sightline().drift.delete(name, context.call);
        context.output.print({
          json: { detector: name, deleted: true },
          human: () => [text(`detector ${JSON.stringify(name)} is deleted`)],
        });
      }),
    );

  addWindowOptions(
    addSelectorOptions(
      frame
        .command(drift, 'attach <name>', {
          description:
            'test the live events of a model, version or graph node, window by window (replaces an earlier attachment)',
          service: 'drift',
        })
        .option('--model <model>', 'the model (or graph) whose events are read (required)'),
    ),
  ).action(
    frame.run<SelectorFlags & WindowFlags>(async (context) => {
      const [name] = context.args as [string];
      const selector = selectorFromFlags(context.flags);
      const window = windowFromFlags(context.flags);
      const detector = await context.sightline().drift.attach(name, {
        selector,
        ...(window !== undefined && { window }),
        ...context.call,
      });
      context.output.print({
        json: { detector: detectorJson(detector) },
        human: () => [
          text(`detector ${JSON.stringify(name)} is attached to model ${JSON.stringify(selector.modelName)}`),
          ...detectorSections(detector, []),
        ],
      });
    }),
  );

  frame
    .command(drift, 'detach <name>', {
      description: 'stop testing live events; the open window is dropped',
      service: 'drift',
    })
    .action(
      frame.run(async (context) => {
        const [name] = context.args as [string];
        const detector = await context.sightline().drift.detach(name, context.call);
        context.output.print({
          json: { detector: detectorJson(detector) },
          human: () => [text(`detector ${JSON.stringify(name)} is detached`)],
        });
      }),
    );

  addWindowOptions(
    addSelectorOptions(
      frame
        .command(drift, 'run <name>', {
          description:
            'test the stored events of a time range window by window: a progress bar, then a table of windows',
          service: 'drift',
          timeout: DEFAULT_RUN_TIMEOUT,
        })
        .requiredOption(
          '--from <time>',
          'first time included: ISO-8601, now, or a duration ago (15m, 2h, 7d)',
        )
        .option('--to <time>', 'first time excluded (same forms; default: now)')
        .option('--model <model>', 'the model (or graph) whose events are read (required)'),
    ),
  ).action(
    frame.run<SelectorFlags & WindowFlags & { from: string; to?: string }>(async (context) => {
      const [name] = context.args as [string];
      const { flags } = context;
      const range = timeRangeFromFlags(flags);
      const { from, to } = range;
      const selector = selectorFromFlags(flags);
      const window = windowFromFlags(flags);
      const client = context.sightline();
      const windows: DriftHistoryWindow[] = [];
      const scan = client.drift.scoreHistory(name, {
        from,
        to,
        selector,
        ...(window !== undefined && { window }),
        ...context.call,
        // A stream has no deadline of its own: --timeout bounds the whole scan.
        deadlineMs: client.options.deadlineMs,
      });
      const last = await scanWithProgress(context.progress, name, range, scan, (item) => {
        if (item.kind === 'window') windows.push(item.window);
        return item.progress;
      });
      const drifted = windows.filter((w) => w.verdict.drift).length;
      context.output.print({
        json: driftJson({ detector: name, progress: last, windows }),
        human: () => [
          table([...WINDOW_COLUMNS], windows.map(windowRow), 'windows'),
          fields(
            [
              ['windows', windows.length],
              ['drifted', drifted],
              ['events read', last?.eventsRead ?? 0],
              ['events matched', last?.eventsMatched ?? 0],
              ['events skipped', skippedCell(last?.eventsSkipped)],
            ],
            'scan',
          ),
        ],
      });
    }),
  );

  frame
    .command(drift, 'events [name]', {
      description: 'list the stored drift events (closed live and history windows), newest first',
      service: 'drift',
    })
    .option('--drift-only', 'only windows that drifted')
    .option('--from <time>', 'only windows ending at or after this time (ISO-8601, now, or 15m, 2h, 7d ago)')
    .option('--to <time>', 'only windows ending before this time')
    .option(
      '--limit <n>',
      `at most this many events (default: ${DEFAULT_EVENTS_LIMIT}; at most ${MAX_EVENTS_LIMIT})`,
    )
    .action(
      frame.run<{ driftOnly?: boolean; from?: string; to?: string; limit?: string }>(async (context) => {
        const [name] = context.args as [string | undefined];
        const { flags } = context;
        const limit =
          flags.limit === undefined
            ? DEFAULT_EVENTS_LIMIT
            : wholeFlag(flags.limit, '--limit', 1, MAX_EVENTS_LIMIT);
        const { from, to } = timeFilterFromFlags(flags, false);
        const events = await collectPages(limit, EVENTS_PAGE_SIZE, async (pageSize, pageToken) => {
          const page = await context.sightline().drift.listDriftEvents({
            ...(name !== undefined && { name }),
            driftOnly: flags.driftOnly === true,
            ...(from !== undefined && { from }),
            ...(to !== undefined && { to }),
            pageSize,
            pageToken,
            ...context.call,
          });
          return { items: page.events, nextPageToken: page.nextPageToken };
        });
        // Events outlive their detector, so a name is checked only when nothing matched it:
        // a mistyped name is NOT_FOUND rather than an empty table.
        if (events.length === 0 && name !== undefined)
          await context.sightline().drift.get(name, context.call);
        context.output.print({
          json: { events: driftJson(events) },
          human: () => [table([...EVENT_COLUMNS], events.map(driftEventRow))],
        });
      }),
    );
}

/**
 * Creates the detector when it is missing; for one that exists, checks that the flags
 * given agree with its saved settings. Answers whether it created it.
 */
async function ensureDetector(
  context: CommandContext<FitFlags>,
  name: string,
  given: DriftDetectorSettings,
  categorical: readonly string[] | undefined,
  trailing?: DriftTrailingReference,
): Promise<boolean> {
  const client = context.sightline().drift;
  let existing: DriftDetector | undefined;
  try {
    existing = (await client.get(name, context.call)).detector;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (existing === undefined) {
    try {
      await client.createDetector(name, {
        settings: checkSettingsForKind(given, given.kind ?? 'tabular'),
        ...(categorical !== undefined && { categoricalFeatures: categorical }),
        ...(trailing !== undefined && { trailingReference: trailing }),
        ...context.call,
      });
      return true;
    } catch (error) {
      // Created by someone else meanwhile: fit it, after the same checks.
      if (!(error instanceof AlreadyExistsError)) throw error;
      existing = (await client.get(name, context.call)).detector;
    }
  }
  const advice = `detector ${JSON.stringify(name)} exists; its settings are fixed when it is created (delete it to change them, or leave the flag out)`;
  if (given.kind !== undefined && existing.kind !== given.kind) {
    throw new UsageError(`--kind ${given.kind}: ${advice}; it is ${existing.kind}`);
  }
  const [conflict] = settingsConflicts(checkSettingsForKind(given, existing.kind), existing.settings);
  if (conflict !== undefined) {
    throw new UsageError(`${conflict.flag} ${conflict.given}: ${advice}; it has ${conflict.saved}`);
  }
  if (
    categorical !== undefined &&
    [...categorical].sort().join(',') !== [...existing.categoricalFeatures].sort().join(',')
  ) {
    throw new UsageError(
      `--categorical ${categorical.join(',')}: ${advice}; it has ${existing.categoricalFeatures.join(',') || 'none'}`,
    );
  }
  if (trailing !== undefined && !sameTrailing(trailing, existing.trailingReference)) {
    throw new UsageError(
      `--trailing: ${advice}; it has ${existing.trailingReference === undefined ? 'no trailing reference' : 'another trailing reference'}`,
    );
  }
  return false;
}

function sameTrailing(given: DriftTrailingReference, saved: DriftTrailingReference | undefined): boolean {
  return (
    saved !== undefined &&
    (given.offsetMs ?? 0) === (saved.offsetMs ?? 0) &&
    given.lengthMs === saved.lengthMs &&
    (given.refitIntervalMs ?? given.lengthMs) === (saved.refitIntervalMs ?? saved.lengthMs)
  );
}
