/**
 * A trace as a waterfall of text lines: one line per span, indented under its parent, with
 * the span's service, its start offset from the trace's start, its duration, its status,
 * and a bar placed and sized on a time axis that fills the terminal's width. Errors get a
 * second line with the status message. Plain strings out, so the CLI prints them and tests
 * compare them; no terminal library, no colour.
 *
 * Spans whose parent is not among them (never received, or evicted) start a tree of their
 * own, marked `^`, so nothing is hidden.
 */

/** What the waterfall needs of a span (the store's spans and the contract's both fit). */
export interface WaterfallSpan {
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly serviceName: string;
  /** Unix epoch nanoseconds. */
  readonly startTimeUnixNano: bigint;
  /** Nanoseconds; negative counts as 0. */
  readonly durationNanos: bigint;
  readonly status: 'unset' | 'ok' | 'error';
  /** The error's description; shown under an error span. */
  readonly statusMessage?: string;
}

/** Options of {@link renderWaterfall}. */
export interface WaterfallOptions {
  /** The line width to fill, in columns (e.g. process.stdout.columns); at least {@link MIN_WIDTH}. */
  readonly width: number;
}

/** Narrower terminals get this width anyway: below it the bars would say nothing. */
export const MIN_WIDTH = 64;
/** Indentation per tree level, in columns. */
const INDENT = 2;
/** Deeper levels are drawn at this depth (with the depth written), so names keep room. */
const MAX_DRAWN_DEPTH = 12;
const OFFSET_WIDTH = 9;
const DURATION_WIDTH = 9;
const STATUS_WIDTH = 5;
const BAR = '█';
const BAR_ERROR = '▓';
const AXIS = '·';

/** A duration in nanoseconds as a short human figure: `850 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`. */
export function formatDuration(nanos: bigint): string {
  const n = Number(nanos < 0n ? 0n : nanos);
  if (n < 1_000) return `${n} ns`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} µs`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(2)} ms`;
  return `${(n / 1_000_000_000).toFixed(2)} s`;
}

function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

function fitRight(text: string, width: number): string {
  const chars = [...text];
  return chars.length >= width ? chars.slice(0, width).join('') : ' '.repeat(width - chars.length) + text;
}

interface Row {
  readonly span: WaterfallSpan;
  readonly depth: number;
  readonly orphan: boolean;
}

/** Orders spans depth-first: each span after its parent, siblings by start time. */
function treeOrder(spans: readonly WaterfallSpan[]): Row[] {
  const byStart = [...spans].sort((a, b) =>
    a.startTimeUnixNano !== b.startTimeUnixNano
      ? a.startTimeUnixNano < b.startTimeUnixNano
        ? -1
        : 1
      : a.spanId < b.spanId
        ? -1
        : 1,
  );
  const ids = new Set(byStart.map((s) => s.spanId));
  const children = new Map<string, WaterfallSpan[]>();
  for (const span of byStart) {
    if (span.parentSpanId === '' || !ids.has(span.parentSpanId)) continue;
    const list = children.get(span.parentSpanId) ?? [];
    list.push(span);
    children.set(span.parentSpanId, list);
  }
  const rows: Row[] = [];
  const visited = new Set<string>();
  const visit = (root: WaterfallSpan, orphan: boolean) => {
    // Iterative, so a hostile sender's deep chain cannot overflow the stack.
    const stack: { span: WaterfallSpan; depth: number }[] = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop()!;
      if (visited.has(span.spanId)) continue;
      visited.add(span.spanId);
      rows.push({ span, depth, orphan: orphan && depth === 0 });
      const kids = children.get(span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i -= 1) stack.push({ span: kids[i]!, depth: depth + 1 });
    }
  };
  for (const span of byStart) if (span.parentSpanId === '') visit(span, false);
  for (const span of byStart) if (span.parentSpanId !== '' && !ids.has(span.parentSpanId)) visit(span, true);
  // Whatever is left sits on a parent cycle (a malformed sender): shown rather than lost.
  for (const span of byStart) if (!visited.has(span.spanId)) visit(span, true);
  return rows;
}

/** Renders `spans` (one trace) as lines of at most `options.width` columns. */
export function renderWaterfall(spans: readonly WaterfallSpan[], options: WaterfallOptions): string[] {
  if (spans.length === 0) return ['(no spans)'];
  const width = Math.max(MIN_WIDTH, Math.floor(options.width));
  const rows = treeOrder(spans);
  let traceStart = rows[0]!.span.startTimeUnixNano;
  let traceEnd = traceStart;
  for (const { span } of rows) {
    if (span.startTimeUnixNano < traceStart) traceStart = span.startTimeUnixNano;
    const end = span.startTimeUnixNano + (span.durationNanos > 0n ? span.durationNanos : 0n);
    if (end > traceEnd) traceEnd = end;
  }
  const total = traceEnd - traceStart;

  const labels = rows.map(({ span, depth, orphan }) => {
    const drawnDepth = Math.min(depth, MAX_DRAWN_DEPTH);
    const deeper = depth > MAX_DRAWN_DEPTH ? `[${depth}] ` : '';
    return `${' '.repeat(drawnDepth * INDENT)}${orphan ? '^ ' : ''}${deeper}${span.name}`;
  });

  // Columns: name tree | service | offset | duration | status | bar. The name and service
  // columns are as wide as their longest entry up to a share of the room (45% and 25% of
  // what the fixed columns leave); the bar takes the rest.
  const fixed = OFFSET_WIDTH + DURATION_WIDTH + STATUS_WIDTH + 4;
  const flexible = width - fixed;
  const longest = (texts: string[]) => texts.reduce((n, t) => Math.max(n, [...t].length), 0);
  const serviceWidth = Math.min(
    Math.max(7, longest(rows.map((r) => r.span.serviceName))),
    Math.max(8, Math.floor(flexible * 0.25)),
  );
  const nameWidth = Math.min(Math.max(16, longest(labels)), Math.max(16, Math.floor(flexible * 0.45)));
  // Five single-space gaps between the six columns: no line is wider than `width`.
  const barWidth = width - fixed - 1 - nameWidth - serviceWidth;

  const services = new Set(rows.map((r) => r.span.serviceName).filter((s) => s !== ''));
  const errors = rows.filter((r) => r.span.status === 'error').length;
  const lines = [
    `${rows.length} span${rows.length === 1 ? '' : 's'} · ${formatDuration(total)} · ${services.size} service${services.size === 1 ? '' : 's'}${errors > 0 ? ` · ${errors} error${errors === 1 ? '' : 's'}` : ''}`,
    [
      fit('span', nameWidth),
      fit('service', serviceWidth),
      fitRight('offset', OFFSET_WIDTH),
      fitRight('duration', DURATION_WIDTH),
      fit('', STATUS_WIDTH),
      fit(`0 … ${formatDuration(total)}`, barWidth),
    ]
      .join(' ')
      .trimEnd(),
  ];
  for (const [index, { span, depth }] of rows.entries()) {
    const drawnDepth = Math.min(depth, MAX_DRAWN_DEPTH);
    const label = labels[index]!;
    const offset = span.startTimeUnixNano - traceStart;
    const duration = span.durationNanos > 0n ? span.durationNanos : 0n;
    const position = total === 0n ? 0 : Number((offset * BigInt(barWidth)) / total);
    const start = Math.min(barWidth - 1, position);
    const length =
      total === 0n ? barWidth : Math.max(1, Math.round((Number(duration) / Number(total)) * barWidth));
    const bar =
      AXIS.repeat(start) +
      (span.status === 'error' ? BAR_ERROR : BAR).repeat(Math.min(length, barWidth - start));
    const status = span.status === 'error' ? 'ERROR' : span.status === 'ok' ? 'ok' : '';
    lines.push(
      [
        fit(label, nameWidth),
        fit(span.serviceName, serviceWidth),
        fitRight(formatDuration(offset), OFFSET_WIDTH),
        fitRight(formatDuration(duration), DURATION_WIDTH),
        fit(status, STATUS_WIDTH),
        fit(bar, barWidth),
      ]
        .join(' ')
        .trimEnd(),
    );
    if (span.status === 'error' && span.statusMessage) {
      const indent = ' '.repeat(drawnDepth * INDENT + 2);
      lines.push(fit(`${indent}✗ ${span.statusMessage.replace(/\s+/g, ' ')}`, width).trimEnd());
    }
  }
  return lines;
}
