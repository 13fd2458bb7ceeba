/**
 * `sightline metrics`: what the metrics service knows about a model's quality.
 *
 * - `show MODEL`: a window's metrics with their intervals (`--window 1h`, or `--from/--to`),
 *   a time series with a sparkline per metric (`--step 5m`), the last count windows
 *   (`--count-windows N`), one segment (`--segment country=fr`) or one window per segment
 *   value (`--by-segment country`).
 * - `compute --task classification|regression --data FILE.csv`: evaluates a CSV of pairs with
 *   the service's own metric code, so offline numbers equal production's.
 * - `compare MODEL --baseline V1 --candidate V2`: the two versions (or graph nodes) on the
 *   same traffic: the difference with its interval, the test and a verdict.
 * - `drift [MODEL]`: the concept-drift detectors' states per series.
 * - `alerts [MODEL]`: the alerts and their states.
 */
import type { MetricsSeries } from '@sightline/sdk';
import { type Command, Option } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { fields, table } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { readInputBytes } from '../inputs/input-file.js';
import { collectPages } from './history-scan.js';
import { parseComputeCsv } from './metrics-csv.js';
import { type ShowFlags, showOptions, timeWindowFromFlags, type WindowFlags } from './metrics-flags.js';
import {
  comparisonSections,
  computedSections,
  formatNumber,
  seriesSections,
  windowSections,
} from './metrics-view.js';

const LIST_LIMIT = 1000;
const LIST_PAGE_SIZE = 100;

const seriesName = (s: MetricsSeries) =>
  `${s.modelName}${s.modelVersion === '' ? '' : `:${s.modelVersion}`}${s.node === '' ? '' : ` (${s.node})`}`;

function windowOptions(command: Command): Command {
  return command
    .option('--window <span>', 'the trailing window up to now, e.g. 15m, 1h, 7d (default: 1h)')
    .option('--from <time>', 'a fixed window from this time (ISO-8601, now, or 15m, 2h, 7d ago)')
    .option('--to <time>', 'the fixed window ends here (default: now)');
}

/** Registers the `metrics` group. */
export function registerMetricsCommands(program: Command, frame: CliFrame): void {
  const metrics = frame.group(
    program,
    'metrics',
    "the metrics service: a model's quality over windows, offline evaluation, comparisons",
  );

  windowOptions(
    frame.command(metrics, 'show <model>', {
      description: "a model's metrics over a window, with intervals; a sparkline per metric with --step",
      service: 'metrics',
    }),
  )
    .option('--version <v>', 'only this model version (default: every version)')
    .option('--node <node>', 'only this graph node (default: every node and direct calls)')
    .option('--step <span>', 'cut the window into steps of this length: a time series')
    .option('--count-windows <n>', 'the last N windows that closed on a count of joined pairs')
    .option('--segment <name=value>', 'only this segment (a configured segment name and a value)')
    .option('--by-segment <name>', 'also one window per value of this segment name')
    .option(
      '--reference-from <time>',
      "compare the prediction distribution with a reference window's (with --reference-to)",
    )
    .option('--reference-to <time>', 'the reference window ends here')
    .option('--confidence <level>', 'level of every interval (default: 0.95)')
    .action(
      frame.run<ShowFlags>(async (context) => {
        const [model] = context.args as [string];
        const { flags } = context;
        const options = showOptions(flags);
        const report = await context.sightline().metrics.getMetrics(
          {
            modelName: model,
            ...(flags.version !== undefined && { version: flags.version }),
            ...(flags.node !== undefined && { node: flags.node }),
          },
          { ...options, ...context.call },
        );
        context.output.print({
          json: report,
          human: () => {
            if (flags.step !== undefined) return seriesSections(report);
            const sections = report.windows.flatMap((window) =>
              windowSections(
                report,
                window,
                window.series === undefined
                  ? undefined
                  : `${seriesName(window.series)}, count window ${window.countWindowIndex}`,
              ),
            );
            for (const segment of report.segments) {
              sections.push(
                ...windowSections(
                  report,
                  segment,
                  `segment ${segment.segment?.name}=${segment.segment?.value}`,
                ),
              );
            }
            return sections;
          },
        });
      }),
    );

  frame
    .command(metrics, 'compute', {
      description: "evaluate a CSV of y_true, y_pred (and prob_<class>) with the service's own metric code",
      service: 'metrics',
    })
    .addOption(
      new Option('--task <task>', 'what the pairs are')
        .choices(['classification', 'regression'])
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--data <file>',
      'the CSV: y_true, y_pred and, for classification, optional prob_<class> columns',
    )
    .option('--confidence <level>', 'level of every interval (default: 0.95)')
    .action(
      frame.run<{ task: 'classification' | 'regression'; data: string; confidence?: string }>(
        async (context) => {
          const { flags } = context;
          const source = `--data ${flags.data}`;
          const bytes = await readInputBytes(flags.data, { source, progress: context.progress });
          const pairs = parseComputeCsv(bytes.toString('utf8'), source, flags.task);
          let confidence: number | undefined;
          if (flags.confidence !== undefined) {
            confidence = Number(flags.confidence);
            if (!(confidence > 0 && confidence < 1))
              throw new UsageError(
                `--confidence: expected a number between 0 and 1 (exclusive), got ${JSON.stringify(flags.confidence)}`,
              );
          }
          const computed = await context.sightline().metrics.computeMetrics(pairs, {
            ...(confidence !== undefined && { confidence }),
            ...context.call,
          });
          context.output.print({ json: computed, human: () => computedSections(computed) });
        },
      ),
    );

  windowOptions(
    frame.command(metrics, 'compare <model>', {
      description:
        'compare two versions (or graph nodes) of a model on the same traffic: difference, interval, test, verdict',
      service: 'metrics',
    }),
  )
    .requiredOption('--baseline <version>', 'the version held as reference (e.g. the live one)')
    .requiredOption('--candidate <version>', 'the version compared with it')
    .option('--baseline-node <node>', "the baseline's graph node (default: none)")
    .option('--candidate-node <node>', "the candidate's graph node (e.g. a shadow; default: none)")
    .option(
      '--metric <metric>',
      'accuracy, macro_f1, weighted_f1, log_loss, mae, mse, rmse, mape or r2 (default: accuracy or mae)',
    )
    .option(
      '--test <test>',
      'mcnemar_exact, mcnemar_chi2, mcnemar_chi2_corrected or bootstrap (default: by metric)',
    )
    .option('--alpha <alpha>', 'significance level (default: 0.05)')
    .action(
      frame.run<
        WindowFlags & {
          baseline: string;
          candidate: string;
          baselineNode?: string;
          candidateNode?: string;
          metric?: string;
          test?: string;
          alpha?: string;
        }
      >(async (context) => {
        const [model] = context.args as [string];
        const { flags } = context;
        const alpha = flags.alpha === undefined ? undefined : Number(flags.alpha);
        if (alpha !== undefined && !(alpha > 0 && alpha < 1))
          throw new UsageError(
            `--alpha: expected a number between 0 and 1 (exclusive), got ${JSON.stringify(flags.alpha)}`,
          );
        const comparison = await context.sightline().metrics.compareVersions(
          {
            baseline: { modelName: model, version: flags.baseline, node: flags.baselineNode ?? '' },
            candidate: { modelName: model, version: flags.candidate, node: flags.candidateNode ?? '' },
            window: timeWindowFromFlags(flags),
            ...(flags.metric !== undefined && { metric: flags.metric }),
            ...(flags.test !== undefined && { test: flags.test }),
            ...(alpha !== undefined && { alpha }),
          },
          context.call,
        );
        context.output.print({ json: comparison, human: () => comparisonSections(comparison) });
      }),
    );

  frame
    .command(metrics, 'drift [model]', {
      description: "the concept-drift detectors' states (DDM, ADWIN, Page-Hinkley) per series",
      service: 'metrics',
    })
    .action(
      frame.run(async (context) => {
        const [model] = context.args as [string | undefined];
        const client = context.sightline().metrics;
        const statuses = await collectPages(LIST_LIMIT, LIST_PAGE_SIZE, (pageSize, pageToken) =>
          client.listConceptDrift({
            ...(model !== undefined && { series: { modelName: model } }),
            pageSize,
            pageToken,
            ...context.call,
          }),
        );
        context.output.print({
          json: { detectors: statuses },
          human: () => [
            table(
              ['series', 'detector', 'state', 'since', 'pairs seen'],
              statuses.map((s) => [
                seriesName(s.series),
                s.detector,
                s.state,
                s.stateTime?.toISOString() ?? '',
                s.pairsSeen,
              ]),
            ),
          ],
        });
      }),
    );

  frame
    .command(metrics, 'alerts [model]', {
      description: 'the alerts of every rule (or of one model), firing first',
      service: 'metrics',
    })
    .action(
      frame.run(async (context) => {
        const [model] = context.args as [string | undefined];
        const client = context.sightline().metrics;
        const alerts = await collectPages(LIST_LIMIT, LIST_PAGE_SIZE, (pageSize, pageToken) =>
          client.listAlerts({
            ...(model !== undefined && { modelName: model }),
            pageSize,
            pageToken,
            ...context.call,
          }),
        );
        context.output.print({
          json: { alerts },
          human: () => [
            alerts.length === 0
              ? fields([['alerts', 0]])
              : table(
                  ['rule', 'segment', 'state', 'value', 'samples', 'since', 'reason'],
                  alerts.map((a) => [
                    a.rule?.name ?? '',
                    a.segment === undefined ? '' : `${a.segment.name}=${a.segment.value}`,
                    a.state,
                    formatNumber(a.value),
                    a.samples,
                    a.stateTime?.toISOString() ?? '',
                    a.reason,
                  ]),
                ),
          ],
        });
      }),
    );
}
