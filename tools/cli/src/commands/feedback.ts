/**
 * `sightline feedback`: ground truth for logged predictions, sent to the metrics service.
 *
 * - `send FILE.csv`: the CSV's rows (see feedback-csv.ts) in calls of at most `--batch` rows,
 *   with a progress bar; prints how many joined, wait for their prediction (pending), changed
 *   nothing, replaced an earlier truth or were rejected (with the first reasons). Rows the
 *   service rejects make the command exit 1 after the summary, so a script notices; the rows
 *   it accepted stay stored (sending the file again is safe: they come back unchanged).
 * - `queue MODEL`: the model's annotation queue: its items, highest priority first, with what
 *   was predicted and why each was picked; `--lease --annotator NAME` leases them instead.
 * - `answer MODEL ITEM (--label L | --value V... | --skip)`: answers one item (it becomes
 *   feedback like any other).
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { AnnotationAnswer } from '@sightline/sdk';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { parseDurationMs } from '../frame/duration.js';
import { collect } from '../frame/key-values.js';
import { fields } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { readInputBytes } from '../inputs/input-file.js';
import { wholeFlag } from './drift-flags.js';
import { parseFeedbackCsv } from './feedback-csv.js';
import { collectPages } from './history-scan.js';
import { feedbackSections, itemSections } from './metrics-view.js';

/** Rows per SendFeedback call by default: the service's --max-feedback-per-call. */
export const DEFAULT_FEEDBACK_BATCH = 10_000;
/** Items `queue` lists by default. */
const DEFAULT_QUEUE_LIMIT = 20;
const QUEUE_PAGE_SIZE = 100;

/** Registers the `feedback` group. */
export function registerFeedbackCommands(program: Command, frame: CliFrame): void {
  const feedback = frame.group(
    program,
    'feedback',
    'ground truth for logged predictions: send a CSV, work the annotation queue',
  );

  frame
    .command(feedback, 'send <file>', {
      description:
        'send ground truth from a CSV (request_id, optional row, and label, value or reward) to the metrics service, with a progress bar',
      service: 'metrics',
    })
    .option(
      '--model <name>',
      "judge only this model's (or graph node's) predictions (default: every prediction of the request)",
    )
    .option('--batch <rows>', `rows per call (default: ${DEFAULT_FEEDBACK_BATCH}, the service's limit)`)
    .action(
      frame.run<{ model?: string; batch?: string }>(async (context) => {
        const [file] = context.args as [string];
        const batch =
          context.flags.batch === undefined
            ? DEFAULT_FEEDBACK_BATCH
            : wholeFlag(context.flags.batch, '--batch', 1, 1_000_000);
        const source = file;
        const bytes = await readInputBytes(file, { source, progress: context.progress });
        const inputs = parseFeedbackCsv(bytes.toString('utf8'), source, context.flags.model);
        const bar = context.progress.bar('feedback rows', inputs.length, 'items');
        let result: Awaited<ReturnType<ReturnType<typeof context.sightline>['metrics']['sendFeedback']>>;
        try {
          result = await context.sightline().metrics.sendFeedback(inputs, {
            rowsPerCall: batch,
            onProgress: (sent) => bar.update(sent),
            ...context.call,
          });
        } finally {
          bar.stop();
        }
        context.output.print({ json: result, human: () => feedbackSections(result) });
        if (result.rejected > 0) {
          // The service's verdict (exit 1), not a refusal of the command line (exit 2).
          const first = result.outcomes.find((o) => o.status === 'rejected');
          throw new InvalidArgumentError(
            `${result.rejected} of ${result.outcomes.length} feedback rows were rejected (reasons above); the others are stored`,
            { cause: { code: 3, details: first?.reason ?? '' } },
          );
        }
      }),
    );

  frame
    .command(feedback, 'queue <model>', {
      description:
        "a model's annotation queue: items to label, highest priority first, with the prediction and why each was picked",
      service: 'metrics',
    })
    .option('--lease', 'lease the items to --annotator instead of only listing them')
    .option('--annotator <name>', 'who labels the leased items (required with --lease)')
    .option('--lease-for <duration>', "how long a lease holds (default: the service's 10m)")
    .option('--limit <n>', `at most this many items (default: ${DEFAULT_QUEUE_LIMIT}; --lease: at most 100)`)
    .action(
      frame.run<{ lease?: boolean; annotator?: string; leaseFor?: string; limit?: string }>(
        async (context) => {
          const [model] = context.args as [string];
          const { flags } = context;
          const metrics = context.sightline().metrics;
          const limit =
            flags.limit === undefined
              ? DEFAULT_QUEUE_LIMIT
              : wholeFlag(flags.limit, '--limit', 1, flags.lease ? 100 : 100_000);
          if (!flags.lease && (flags.annotator !== undefined || flags.leaseFor !== undefined)) {
            throw new UsageError('--annotator and --lease-for: only with --lease');
          }
          const queue = await metrics.getAnnotationQueue(model, context.call);
          let items: Awaited<ReturnType<typeof metrics.leaseAnnotationItems>>;
          if (flags.lease) {
            if (flags.annotator === undefined) throw new UsageError('--annotator: required with --lease');
            items = await metrics.leaseAnnotationItems(model, flags.annotator, {
              maxItems: limit,
              ...(flags.leaseFor !== undefined && {
                leaseMs: parseDurationMs(flags.leaseFor, '--lease-for'),
              }),
              ...context.call,
            });
          } else {
            items = await collectPages(limit, QUEUE_PAGE_SIZE, async (pageSize, pageToken) =>
              metrics.listAnnotationItems(model, { pageSize, pageToken, ...context.call }),
            );
          }
          context.output.print({
            json: { queue, items },
            human: () => [
              fields([
                ['model', queue.modelName],
                ['policy', queue.policy],
                ['open', queue.counts?.open ?? 0],
                ['leased', queue.counts?.leased ?? 0],
                ['answered', queue.counts?.answered ?? 0],
              ]),
              ...itemSections(items),
            ],
          });
        },
      ),
    );

  frame
    .command(feedback, 'answer <model> <item>', {
      description:
        'answer one annotation item with a label, value(s) or a skip; the answer is stored as feedback',
      service: 'metrics',
    })
    .option('--label <label>', "the row's class label")
    .option('--value <number>', "the row's true value (repeat for several outputs)", collect)
    .option('--skip', 'the annotator cannot tell: no feedback is stored')
    .option('--annotator <name>', 'who answers (required while the item is leased)')
    .action(
      frame.run<{ label?: string; value?: string[]; skip?: boolean; annotator?: string }>(async (context) => {
        const [model, item] = context.args as [string, string];
        const { flags } = context;
        const given = [flags.label !== undefined, flags.value !== undefined, flags.skip === true].filter(
          Boolean,
        ).length;
        if (given !== 1) throw new UsageError('--label, --value, --skip: give exactly one');
        let answer: AnnotationAnswer;
        if (flags.label !== undefined) answer = { label: flags.label };
        else if (flags.value !== undefined) {
          answer = {
            values: flags.value.map((text) => {
              const value = Number(text);
              if (text.trim() === '' || !Number.isFinite(value))
                throw new UsageError(`--value: expected a finite number, got ${JSON.stringify(text)}`);
              return value;
            }),
          };
        } else answer = { skip: true };
        const result = await context.sightline().metrics.answerAnnotationItem(model, item, answer, {
          ...(flags.annotator !== undefined && { annotator: flags.annotator }),
          ...context.call,
        });
        context.output.print({
          json: result,
          human: () => [
            fields([
              ['item', result.item.itemId],
              ['state', result.item.state],
              ['feedback', result.feedback?.status ?? '(skipped)'],
              ['prediction rows judged', result.feedback?.pairs ?? 0],
            ]),
          ],
        });
      }),
    );
}
