/**
 * Coalesces concurrent outlier `Predict` calls of one detector at one address into one call.
 * Every outlier kind (Isolation Forest, Mahalanobis, the autoencoder) scores each row on its
 * own, so the rows of N requests judged together get exactly the verdicts each request would
 * get alone, for one call's transport and server cost instead of N: Triton's dynamic batching,
 * applied to the router's detector nodes (services/router/README.md, "Outlier calls of
 * concurrent requests share one Predict"). Drift detectors judge a batch as a whole: their
 * calls are never coalesced. (A Mahalanobis detector that learns from Predict judges a
 * coalesced call's rows against its statistics before any of them, as it does one request's
 * rows: concurrent requests have no order to keep.)
 *
 * Calls started in the same turn of the event loop are sent together when it ends (no added
 * wait: a lone call goes out exactly as before, through the plain client). Each call keeps its
 * own deadline, cancellation and errors: a call whose deadline passes or whose caller cancels
 * is answered at once (the shared call is cancelled when no caller is left), and a shared call
 * refused as INVALID_ARGUMENT or RESOURCE_EXHAUSTED is re-sent call by call, so only the call
 * with the bad rows gets that status, worded for its own rows.
 */
import {
  type Cancellation,
  CancellationSource,
  DeadlineExceededError,
  type ErrorCode,
  isSightlineError,
  SightlineError,
} from '@sightline/errors';
import type { CallOptions, DetectorCall, DetectorClient, DetectorVerdict } from '../engine/ports.js';
import type { RoutedTensor } from '../engine/routed-tensor.js';
import { atDeadline } from './deadline-timer.js';
import { rawContents, type StackedTensor } from './detector-request-wire.js';

/** Default {@link CoalescingLimits.maxCalls} (`--detector-coalesce-max-calls`). */
export const DEFAULT_COALESCE_MAX_CALLS = 64;
/** Default {@link CoalescingLimits.maxBytes} (`--detector-coalesce-max-bytes`): 1 MiB. */
export const DEFAULT_COALESCE_MAX_BYTES = 1 << 20;

/** How much one coalesced call may carry. */
export interface CoalescingLimits {
  /** Most calls in one coalesced Predict; 1 turns coalescing off. */
  readonly maxCalls: number;
  /** Most bytes of tensor contents in one coalesced Predict; a call larger than this goes alone. */
  readonly maxBytes: number;
}

/** Per-row verdicts of one Predict, in row order. */
export interface OutlierRows {
  readonly isOutlier: readonly boolean[];
  readonly instanceScore: readonly number[];
  readonly threshold?: number;
  /** The fitted version that answered; 0 or unset when the service reports none. */
  readonly version?: number;
}

/** One Predict carrying several calls' rows. */
export interface CoalescedPredict {
  readonly address: string;
  readonly detector: string;
  readonly tensors: readonly StackedTensor[];
  /** Epoch ms: the latest of the calls' deadlines (each call's own is kept by the coalescer). */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  /** The first call's trace headers: the call's own context. */
  readonly traceHeaders: Readonly<Record<string, string>> | undefined;
  /** The other calls' W3C `traceparent`s, so the service records the call in their traces too. */
  readonly coalescedTraceparents: readonly string[];
}

/** What the coalescer needs from the transport. */
export interface OutlierRowsTransport {
  /** One Predict of stacked rows; rejects with a SightlineError coded as the upstream's status. */
  predictRows(call: CoalescedPredict): Promise<OutlierRows>;
  /** The active context's trace headers (undefined when the router injects none). */
  activeTraceHeaders(): Readonly<Record<string, string>> | undefined;
}

/** The reduction of a call's rows to a verdict: any row an outlier, the highest score. */
export function verdictOfRows(rows: OutlierRows, from: number, to: number): DetectorVerdict {
  let isOutlier = false;
  let highest = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    if (rows.isOutlier[i]) isOutlier = true;
    const score = rows.instanceScore[i]!;
    if (score > highest) highest = score;
  }
  const version = rows.version ?? 0;
  return {
    isOutlier,
    ...(to > from && rows.instanceScore.length > 0 ? { score: highest } : {}),
    ...(rows.threshold !== undefined ? { threshold: rows.threshold } : {}),
    ...(version > 0 ? { version } : {}),
  };
}

/** A call waiting in, or answered by, a coalesced Predict. */
interface Member {
  readonly call: DetectorCall;
  readonly options: CallOptions;
  readonly raws: readonly Uint8Array[];
  readonly rows: number;
  readonly bytes: number;
  readonly traceHeaders: Readonly<Record<string, string>> | undefined;
  readonly resolve: (verdict: DetectorVerdict) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  stopListening: (() => void) | undefined;
  /** Cancels the timer of its own deadline (set when earlier than the shared call's). */
  stopTimer: (() => void) | undefined;
}

/** Calls gathered for one Predict. */
interface Batch {
  readonly key: string;
  readonly address: string;
  readonly detector: string;
  readonly members: Member[];
  bytes: number;
  sent: boolean;
  /** Whether the shared call has answered (or failed). */
  done: boolean;
  /** Members not yet answered (after sending). */
  waiting: number;
  readonly cancellation: CancellationSource;
}

/** Statuses a single call's rows can cause: a coalesced call refused so is re-sent call by call. */
const PER_CALL_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED']);

/**
 * The rows a call's tensors share (their first dimension), or undefined when they cannot be
 * stacked with other calls' (a scalar, tensors of different row counts, no rows, a name twice):
 * such a call goes alone, and the plain client's checks answer it.
 */
function stackableRows(tensors: readonly RoutedTensor[]): number | undefined {
  if (tensors.length === 0) return undefined;
  const rows = tensors[0]!.shape[0];
  if (rows === undefined || rows < 1) return undefined;
  for (let i = 1; i < tensors.length; i++) {
    const tensor = tensors[i]!;
    if (tensor.shape[0] !== rows) return undefined;
    for (let j = 0; j < i; j++) if (tensors[j]!.name === tensor.name) return undefined;
  }
  return rows;
}

/** What calls must share to be stacked: address, detector, and each tensor's name, type and row shape. */
function batchKey(call: DetectorCall): string {
  let key = `${call.address}\u0000${call.detector}`;
  for (const t of call.tensors)
    key += `\u0000${t.name}\u0001${t.datatype}\u0001${t.shape.slice(1).join(',')}`;
  return key;
}

/** A {@link DetectorClient} that coalesces outlier calls and hands every other call to `inner`. */
export class CoalescingDetectorClient implements DetectorClient {
  private readonly open = new Map<string, Batch>();
  /** Calls (shared or alone) in flight per batch key. */
  private readonly inFlight = new Map<string, number>();
  private flushScheduled = false;

  constructor(
    private readonly inner: DetectorClient,
    private readonly transport: OutlierRowsTransport,
    private readonly limits: CoalescingLimits,
    /** Told the size of every Predict sent for calls that could be coalesced (1: alone). */
    private readonly observe: (detector: string, calls: number) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  predict(call: DetectorCall, options: CallOptions): Promise<DetectorVerdict> {
    if (call.kind !== 'outlier' || this.limits.maxCalls <= 1 || options.cancellation.cancelReason) {
      return this.inner.predict(call, options);
    }
    const rows = stackableRows(call.tensors);
    if (rows === undefined) return this.inner.predict(call, options);
    const key = batchKey(call);
    if (!this.open.has(key) && !this.inFlight.has(key)) {
      // Nothing of its kind in flight or gathering: sent at once, so a lone request waits for
      // no turn of the event loop; calls that come while it is out are gathered.
      this.enter(key);
      const sent = this.inner.predict(call, options);
      sent.then(
        () => this.leave(key),
        () => this.leave(key),
      );
      this.observe(call.detector, 1);
      return sent;
    }
    let raws: Uint8Array[];
    try {
      // Checks each raw tensor's length now, so bad contents fail this call alone.
      raws = call.tensors.map(rawContents);
    } catch (error) {
      return Promise.reject(error);
    }
    let bytes = 0;
    for (const raw of raws) bytes += raw.byteLength;
    if (bytes > this.limits.maxBytes) {
      // Alone, and counted so: with a small --detector-coalesce-max-bytes every call shows as 1.
      this.observe(call.detector, 1);
      return this.inner.predict(call, options);
    }
    return new Promise<DetectorVerdict>((resolve, reject) => {
      const member: Member = {
        call,
        options,
        raws,
        rows,
        bytes,
        traceHeaders: options.traceHeaders ?? this.transport.activeTraceHeaders(),
        resolve,
        reject,
        settled: false,
        stopListening: undefined,
        stopTimer: undefined,
      };
      const batch = this.batchFor(key, call, bytes);
      batch.members.push(member);
      batch.bytes += bytes;
      member.stopListening = options.cancellation.onCancel((reason) => this.drop(batch, member, reason));
    });
  }

  private enter(key: string): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
  }

  private leave(key: string): void {
    const left = (this.inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.inFlight.set(key, left);
    else this.inFlight.delete(key);
  }

  /** The open batch `call` joins; a full one is sent first and a new one opened. */
  private batchFor(key: string, call: DetectorCall, bytes: number): Batch {
    let batch = this.open.get(key);
    if (
      batch &&
      (batch.members.length >= this.limits.maxCalls || batch.bytes + bytes > this.limits.maxBytes)
    ) {
      this.send(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = {
        key,
        address: call.address,
        detector: call.detector,
        members: [],
        bytes: 0,
        sent: false,
        done: false,
        waiting: 0,
        cancellation: new CancellationSource(),
      };
      this.open.set(key, batch);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          for (const open of [...this.open.values()]) this.send(open);
        });
      }
    }
    return batch;
  }

  /** Answers `member` with `outcome` once; the shared call is cancelled when nobody waits. */
  private settle(
    batch: Batch,
    member: Member,
    outcome: { verdict: DetectorVerdict } | { error: unknown },
  ): void {
    if (member.settled) return;
    member.settled = true;
    member.stopListening?.();
    member.stopTimer?.();
    if ('verdict' in outcome) member.resolve(outcome.verdict);
    else member.reject(outcome.error);
    if (!batch.sent || --batch.waiting > 0) return;
    this.leave(batch.key);
    // Nobody waits for the shared call any more (each left on its deadline or cancel): stop it.
    if (!batch.done)
      batch.cancellation.cancel(new SightlineError('CANCELLED', 'every coalesced caller left'));
  }

  /** A member whose caller cancelled: out of a batch not yet sent, answered at once either way. */
  private drop(batch: Batch, member: Member, reason: Error): void {
    if (member.settled) return;
    if (!batch.sent) {
      batch.members.splice(batch.members.indexOf(member), 1);
      batch.bytes -= member.bytes;
      if (batch.members.length === 0) this.open.delete(batch.key);
    }
    // Worded as the plain client's cancelled call.
    this.settle(batch, member, {
      error: isSightlineError(reason) ? reason : new SightlineError('CANCELLED', 'Cancelled on client'),
    });
  }

  private send(batch: Batch): void {
    if (batch.sent) return;
    batch.sent = true;
    this.open.delete(batch.key);
    const members = batch.members;
    if (members.length === 0) return;
    this.enter(batch.key);
    this.observe(batch.detector, members.length);

    if (members.length === 1) {
      // Alone: exactly the plain client's call.
      const only = members[0]!;
      batch.waiting = 1;
      only.stopListening?.();
      only.stopListening = undefined;
      this.inner.predict(only.call, only.options).then(
        (verdict) => this.settle(batch, only, { verdict }),
        (error: unknown) => this.settle(batch, only, { error }),
      );
      return;
    }
    batch.waiting = members.length;
    let deadlineMs = Number.NEGATIVE_INFINITY;
    for (const m of members) deadlineMs = Math.max(deadlineMs, m.options.deadlineMs);
    const startMs = this.now();
    for (const m of members) {
      if (m.options.deadlineMs >= deadlineMs) continue;
      // Its own deadline, earlier than the shared call's.
      m.stopTimer = atDeadline(
        m.options.deadlineMs,
        () =>
          this.settle(batch, m, {
            error: new DeadlineExceededError(
              `Deadline exceeded after ${((this.now() - startMs) / 1000).toFixed(3)}s (a Predict coalesced from ${members.length} calls)`,
            ),
          }),
        this.now,
      );
    }
    const first = members[0]!;
    const coalescedTraceparents: string[] = [];
    for (let i = 1; i < members.length; i++) {
      const parent = members[i]!.traceHeaders?.traceparent;
      if (parent) coalescedTraceparents.push(parent);
    }
    const tensors: StackedTensor[] = first.call.tensors.map((t, j) => ({
      name: t.name,
      datatype: t.datatype,
      shape: [members.reduce((sum, m) => sum + m.rows, 0), ...t.shape.slice(1)],
      chunks: members.map((m) => m.raws[j]!),
    }));
    this.transport
      .predictRows({
        address: batch.address,
        detector: batch.detector,
        tensors,
        deadlineMs,
        cancellation: batch.cancellation,
        traceHeaders: first.traceHeaders,
        coalescedTraceparents,
      })
      .then(
        (rows) => this.answer(batch, rows),
        (error: unknown) => this.fail(batch, error),
      );
  }

  /** Each member's verdict from its slice of the rows. */
  private answer(batch: Batch, rows: OutlierRows): void {
    batch.done = true;
    const total = batch.members.reduce((sum, m) => sum + m.rows, 0);
    if (rows.isOutlier.length !== total || rows.instanceScore.length !== total) {
      this.fail(
        batch,
        new SightlineError(
          'INTERNAL',
          `outlier service answered ${rows.isOutlier.length} verdicts and ${rows.instanceScore.length} scores for ${total} rows (a Predict coalesced from ${batch.members.length} calls)`,
        ),
      );
      return;
    }
    let from = 0;
    for (const m of batch.members) {
      this.settle(batch, m, { verdict: verdictOfRows(rows, from, from + m.rows) });
      from += m.rows;
    }
  }

  /** The shared call failed: re-sent call by call when one call's rows may be the cause. */
  private fail(batch: Batch, error: unknown): void {
    batch.done = true;
    const waiting = batch.members.filter((m) => !m.settled);
    const code = isSightlineError(error) ? error.code : undefined;
    if (code !== undefined && PER_CALL_CODES.has(code) && waiting.length > 1) {
      for (const m of waiting) {
        m.stopTimer?.();
        m.stopTimer = undefined;
        m.stopListening?.();
        m.stopListening = undefined;
        // A Predict of its own: counted, so a service that refuses every shared call shows.
        this.observe(batch.detector, 1);
        this.inner.predict(m.call, m.options).then(
          (verdict) => this.settle(batch, m, { verdict }),
          (e: unknown) => this.settle(batch, m, { error: e }),
        );
      }
      return;
    }
    for (const m of waiting) this.settle(batch, m, { error });
  }
}
