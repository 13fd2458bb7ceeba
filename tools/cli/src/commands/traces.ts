/**
 * `sightline traces ...`: the trace store's traces (tools/trace-store), with no Jaeger.
 * `traces list` (the default of `traces`) shows recent traces; `traces show TRACE_ID` draws
 * one as a waterfall: each span under its parent, with its service, offset, duration,
 * status and a bar on a time axis as wide as the terminal. Both on the SDK's `traces`
 * client (the frame's `context.sightline()`); the trace store's address is `--address`,
 * SIGHTLINE_TRACE_STORE_ADDRESS, or the local stack's 127.0.0.1:8006.
 */
import type { ListTracesOptions, TraceSpan, TraceSummary } from '@sightline/sdk';
import { MAX_LIST_LIMIT, parseTraceId } from '@sightline/trace-store/query';
import { formatDuration, renderWaterfall } from '@sightline/trace-store/waterfall';
import type { Command } from 'commander';
import type { CliFrame } from '../frame/cli-frame.js';
import { parseDurationMs } from '../frame/duration.js';
import { fields, table, text } from '../frame/output.js';
import { UsageError } from '../frame/usage-error.js';

/** The waterfall's width when stdout is no terminal and neither --width nor COLUMNS says. */
export const DEFAULT_WATERFALL_WIDTH = 120;

/** `--since`: a duration ago (`15m`) or an ISO-8601 time; epoch ms. */
export function parseSince(textValue: string, nowMs: number): number {
  if (/^\d+(?:\.\d+)?(?:ms|s|m|h)?$/.test(textValue.trim()))
    return nowMs - parseDurationMs(textValue, '--since');
  const ms = Date.parse(textValue);
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--since: expected a duration ago such as 15m, or an ISO-8601 time such as 2026-12-03T16:00:00Z, got ${JSON.stringify(textValue)}`,
    );
  }
  return ms;
}

/** `--limit`: a whole number from 1 to the store's maximum. */
export function parseLimit(textValue: string): number {
  const limit = Number(textValue);
  if (!/^\d+$/.test(textValue.trim()) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new UsageError(
      `--limit: expected a whole number from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(textValue)}`,
    );
  }
  return limit;
}

/** `--width`: the waterfall's width in columns. */
function parseWidth(textValue: string | undefined, stdout: unknown, env: NodeJS.ProcessEnv): number {
  const given = textValue ?? (stdout as { columns?: number }).columns?.toString() ?? env.COLUMNS;
  if (given === undefined || given === '') return DEFAULT_WATERFALL_WIDTH;
  const width = Number(given);
  if (!Number.isInteger(width) || width < 1) {
    throw new UsageError(`--width: expected a whole number of columns, got ${JSON.stringify(given)}`);
  }
  return width;
}

function summaryJson(trace: TraceSummary) {
  return {
    trace_id: trace.traceId,
    root_span_name: trace.rootSpanName,
    root_service_name: trace.rootServiceName,
    start_time: trace.startTime,
    start_time_unix_nano: trace.startTimeUnixNano,
    duration_nanos: trace.durationNanos,
    span_count: trace.spanCount,
    error: trace.error,
    services: trace.services,
    root_missing: trace.rootMissing,
  };
}

function spanJson(span: TraceSpan) {
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    service_name: span.serviceName,
    kind: span.kind,
    start_time_unix_nano: span.startTimeUnixNano,
    duration_nanos: span.durationNanos,
    status: span.status,
    status_message: span.statusMessage,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time_unix_nano: event.timeUnixNano,
      attributes: event.attributes,
    })),
    scope_name: span.scopeName,
    resource_attributes: span.resourceAttributes,
  };
}

interface ListFlags {
  readonly service?: string;
  readonly rootService?: string;
  readonly name?: string;
  readonly minDuration?: string;
  readonly since?: string;
  readonly limit?: string;
}

/** Registers the `traces` group. */
export function registerTracesCommands(program: Command, frame: CliFrame): void {
  const traces = frame.group(
    program,
    'traces',
    "the trace store's recent traces (`npm start` keeps them when no OTLP endpoint is set): list, show",
  );
  frame
    .command(traces, 'list', {
      description: 'list recent traces, newest first (the default of `traces`)',
      service: 'trace-store',
      isDefault: true,
    })
    .option('--service <name>', 'only traces with a span of this service.name, e.g. sightline-model-server')
    .option(
      '--root-service <name>',
      'only traces whose root span is of this service.name: sightline-router for requests through the router',
    )
    .option('--name <text>', "only traces whose root span's name contains this, e.g. ModelInfer")
    .option('--min-duration <duration>', 'only traces lasting at least this long: 5ms, 1.5s')
    .option('--since <when>', 'only traces started since: a duration ago (15m) or an ISO-8601 time')
    .option('--limit <n>', `at most this many traces, 1 to ${MAX_LIST_LIMIT} (default: the store's, 20)`)
    .action(
      frame.run<ListFlags>(async (context) => {
        const { flags } = context;
        const options: ListTracesOptions = {
          ...(flags.service === undefined ? {} : { service: flags.service }),
          ...(flags.rootService === undefined ? {} : { rootService: flags.rootService }),
          ...(flags.name === undefined ? {} : { rootSpanName: flags.name }),
          ...(flags.minDuration === undefined
            ? {}
            : { minDurationMs: parseDurationMs(flags.minDuration, '--min-duration') }),
          ...(flags.since === undefined ? {} : { since: parseSince(flags.since, Date.now()) }),
          ...(flags.limit === undefined ? {} : { limit: parseLimit(flags.limit) }),
          ...context.call,
        };
        const list = await context.sightline().traces.list(options);
        const evicted = list.evictions.tracesEvicted;
        context.output.print({
          json: {
            traces: list.traces.map(summaryJson),
            total_matching: list.totalMatching,
            evictions: {
              spans_evicted_for_space: list.evictions.spansEvictedForSpace,
              spans_evicted_for_age: list.evictions.spansEvictedForAge,
              traces_evicted: evicted,
              spans_rejected: list.evictions.spansRejected,
            },
          },
          human: () => [
            table(
              ['trace id', 'started', 'duration', 'spans', 'root span', 'service', 'error'],
              list.traces.map((t) => [
                t.traceId,
                t.startTime.toISOString(),
                formatDuration(t.durationNanos),
                t.spanCount,
                t.rootMissing ? `${t.rootSpanName} (root missing)` : t.rootSpanName,
                t.rootServiceName,
                t.error ? 'ERROR' : '',
              ]),
            ),
            text(
              `${list.traces.length} of ${list.totalMatching} matching` +
                (evicted > 0n
                  ? `; the store dropped ${evicted} older traces to stay within its bounds`
                  : '') +
                '; `sightline traces show TRACE_ID` draws one',
            ),
          ],
        });
      }),
    );

  frame
    .command(traces, 'show <trace-id>', {
      description: 'draw one trace as a waterfall: spans under their parents, offsets, durations, statuses',
      service: 'trace-store',
    })
    .option('--width <columns>', 'the waterfall width (default: the terminal, else COLUMNS, else 120)')
    .action(
      frame.run<{ readonly width?: string }>(async (context) => {
        // A malformed id is the user's mistake (exit 2), found before any call.
        const traceId = parseTraceId(String(context.args[0]));
        const width = parseWidth(context.flags.width, frame.environment.stdout, context.env);
        const trace = await context.sightline().traces.get(traceId, context.call);
        context.output.print({
          json: { trace_id: trace.traceId, spans: trace.spans.map(spanJson) },
          human: () => [
            fields([['trace', trace.traceId]]),
            text(renderWaterfall(trace.spans, { width }).join('\n')),
          ],
        });
      }),
    );
}
