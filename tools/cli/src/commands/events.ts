/**
 * `sightline events ...`: the events the router stored (its EventService), read through
 * the SDK. `events query` prints the events of a time range and filters, sorted by time;
 * `events tail` the newest ones and, with `--follow`, each new one as it is stored, until
 * Ctrl-C (which ends it with exit code 0).
 */
import type { StoredEvent } from '@sightline/sdk';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { table } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';
import { parseEventTime } from './event-time.js';
import { EVENT_COLUMNS, eventJson, eventLine, eventRow, headerLine } from './events-view.js';

interface QueryFlags {
  readonly from?: string;
  readonly to?: string;
  readonly model?: string;
  readonly graph?: string;
  readonly requestId?: string;
  readonly status?: string;
  readonly limit?: string;
  readonly newestFirst?: boolean;
}

interface TailFlags {
  readonly graph?: string;
  readonly model?: string;
  readonly last?: string;
  readonly follow?: boolean;
  readonly json?: boolean;
}

/** The largest count the request's uint32 field carries; the router's own maximum is lower. */
const MAX_COUNT = 4_294_967_295;

/** A count flag: a whole number from 1 to uint32's maximum; undefined when absent (the router's default). */
function countFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_COUNT) {
    throw new UsageError(
      `${flag}: expected a whole number of events from 1 to ${MAX_COUNT}, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** Registers the `events` group. */
export function registerEventsCommands(program: Command, frame: CliFrame): void {
  const events = frame.group(
    program,
    'events',
    "the router's stored events (file store, or Elasticsearch when it indexes there): query, tail",
  );

  frame
    .command(events, 'query', {
      description: 'print the stored events of a time range and filters, sorted by time',
      service: 'router',
    })
    .option(
      '--from <time>',
      'first time included: ISO-8601, now, or a duration ago (15m, 2h, 7d); default: the oldest',
    )
    .option('--to <time>', 'first time excluded (same forms); default: no end')
    .option('--model <name>', "only this model's events")
    .option('--graph <name>', "only this graph's events")
    .option('--request-id <id>', "only this request's events")
    .option('--status <code>', 'only answers with this gRPC status code name (OK, UNAVAILABLE, ...)')
    .option('--limit <n>', "at most this many events (the router's default: 100; its maximum: 1000)")
    .option(
      '--newest-first',
      'the newest events of the range, newest first (default: the oldest, oldest first)',
    )
    .action(
      frame.run<QueryFlags>(async (context) => {
        const { flags } = context;
        const now = Date.now();
        const from = flags.from === undefined ? undefined : parseEventTime(flags.from, '--from', now);
        const to = flags.to === undefined ? undefined : parseEventTime(flags.to, '--to', now);
        const limit = countFlag(flags.limit, '--limit');
        const sightline = context.sightline();
        const found = await context.progress.during(
          'querying events',
          sightline.events.query({
            ...(from !== undefined && { from }),
            ...(to !== undefined && { to }),
            ...(flags.model !== undefined && { modelName: flags.model }),
            ...(flags.graph !== undefined && { graph: flags.graph }),
            ...(flags.requestId !== undefined && { requestId: flags.requestId }),
            ...(flags.status !== undefined && { statusCode: flags.status }),
            ...(limit !== undefined && { limit }),
            order: flags.newestFirst === true ? 'newest-first' : 'oldest-first',
            ...context.call,
          }),
        );
        context.output.print({
          json: { events: found.map(eventJson) },
          human: () => [table([...EVENT_COLUMNS], found.map(eventRow))],
        });
      }),
    );

  frame
    .command(events, 'tail', {
      description:
        'print the newest stored events; with --follow, then each new one as it is stored, until Ctrl-C',
      service: 'router',
    })
    .option('--graph <name>', "only this graph's events")
    .option('--model <name>', "only this model's events")
    .option('--last <n>', "how many of the newest stored events first (the router's default: 10)")
    .option(
      '--follow',
      'keep printing new events as they are stored, one line each (one JSON document per line with --json); --timeout does not apply',
    )
    .action(
      frame.run<TailFlags>(async (context) => {
        const { flags } = context;
        const last = countFlag(flags.last, '--last');
        const follow = flags.follow === true;
        const sightline = context.sightline();
        const tail = sightline.events.tail({
          ...(last !== undefined && { last }),
          follow,
          ...(flags.graph !== undefined && { graph: flags.graph }),
          ...(flags.model !== undefined && { modelName: flags.model }),
          ...context.call,
          // A following tail lives until Ctrl-C; the stored part alone keeps --timeout.
          deadlineMs: follow ? Number.POSITIVE_INFINITY : sightline.options.deadlineMs,
        });
        try {
          if (!follow) {
            const stored: StoredEvent[] = [];
            for await (const item of tail) if (item.kind === 'event') stored.push(item.event);
            context.output.print({
              json: { events: stored.map(eventJson) },
              human: () => [table([...EVENT_COLUMNS], stored.map(eventRow))],
            });
            return;
          }
          const write = context.output.settings.write;
          if (!context.output.json) write(`${headerLine()}\n`);
          for await (const item of tail) {
            if (item.kind !== 'event') continue;
            if (context.output.json) context.output.printLine(eventJson(item.event));
            else write(`${eventLine(item.event)}\n`);
            // A reader that stops reading stops the pulling: gRPC flow control then holds
            // the router, whose --event-tail-buffer bound ends this tail (RESOURCE_EXHAUSTED).
            await context.output.drained(context.signal);
            if (context.signal.aborted) return;
          }
        } catch (error) {
          // Ctrl-C ends a following tail: that is its normal end (exit 0), not an interruption.
          if (follow && context.signal.aborted) return;
          throw error;
        }
      }),
    );
}
