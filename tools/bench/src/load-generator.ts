import { errorCode, errorMessage } from '@sightline/errors';
import { type LatencySummary, summarizeLatencies } from './stats/latency-summary.js';
import { SampleBuffer } from './stats/sample-buffer.js';

/** The most latency samples one run keeps (8 bytes each: 80 MB at most). */
export const DEFAULT_MAX_SAMPLES = 10_000_000;
/** The longest a run may last when only a request count bounds it. */
export const DEFAULT_MAX_DURATION_MS = 600_000;

/** What to run and for how long. At least one of `durationMs` and `requests` is required. */
export interface LoadOptions {
  /** One request; resolves when the answer is in, rejects on failure. */
  readonly call: () => Promise<void>;
  /** Closed-loop workers: each sends its next request as soon as the previous one ends. */
  readonly concurrency: number;
  /** Measured time; no request starts after it (requests in flight are awaited). */
  readonly durationMs?: number;
  /** Measured requests (successes and failures together); the run stops at this count. */
  readonly requests?: number;
  /** Time to run unmeasured before measuring (JIT, connections, caches, thread pools). */
  readonly warmupMs?: number;
  /** Cap on latency samples; reaching it ends the run early. */
  readonly maxSamples?: number;
  /** Names the kind of a failure; defaults to `errorCode` from `@sightline/errors` (the gRPC status name; INTERNAL for anything unclassified). */
  readonly classifyError?: (error: unknown) => string;
}

/** The outcome of one measured run. Latencies count successful requests only. */
export interface LoadResult {
  readonly concurrency: number;
  /** Successful requests in the measured phase. */
  readonly completed: number;
  /** Failed requests in the measured phase, by kind (gRPC status name). */
  readonly errors: Readonly<Record<string, number>>;
  /** The first message seen for each kind of failure, to say why in a report. */
  readonly errorMessages: Readonly<Record<string, string>>;
  /** Successful requests per second over the measured phase. */
  readonly throughputPerSec: number;
  readonly latency: LatencySummary;
  /** The measured phase: from its start until the last request in flight ended. */
  readonly elapsedMs: number;
}

/**
 * Runs `call` from `concurrency` closed-loop workers: first a warm-up phase whose
 * results are dropped, then (once every warm-up request has ended, so no request straddles
 * the two) the measured phase. Latency of each request is taken with
 * `process.hrtime.bigint()` around the awaited call.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { call, concurrency } = options;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new RangeError(`concurrency: expected a positive integer, got ${concurrency}`);
  }
  if (options.durationMs === undefined && options.requests === undefined) {
    throw new RangeError('runLoad: expected durationMs or requests (a run must be bounded)');
  }
  for (const [name, value] of [
    ['durationMs', options.durationMs],
    ['requests', options.requests],
    ['warmupMs', options.warmupMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`${name}: expected a non-negative number, got ${value}`);
    }
  }
  const classify = options.classifyError ?? errorCode;
  const maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;

  if ((options.warmupMs ?? 0) > 0) {
    await runPhase({ call, concurrency, durationMs: options.warmupMs!, requests: Number.POSITIVE_INFINITY });
  }
  const samples = new SampleBuffer(maxSamples);
  const errors: Record<string, number> = {};
  const errorMessages: Record<string, string> = {};
  const phase = await runPhase({
    call,
    concurrency,
    durationMs: options.durationMs ?? DEFAULT_MAX_DURATION_MS,
    requests: Math.min(options.requests ?? Number.POSITIVE_INFINITY, maxSamples),
    onSuccess: (latencyMs) => samples.push(latencyMs),
    onError: (error) => {
      const kind = classify(error);
      errors[kind] = (errors[kind] ?? 0) + 1;
      if (!(kind in errorMessages)) errorMessages[kind] = errorMessage(error);
    },
  });
  const completed = samples.length;
  return {
    concurrency,
    completed,
    errors,
    errorMessages,
    throughputPerSec: phase.elapsedMs > 0 ? (completed * 1000) / phase.elapsedMs : 0,
    latency: summarizeLatencies(samples.view()),
    elapsedMs: phase.elapsedMs,
  };
}

interface PhaseOptions {
  readonly call: () => Promise<void>;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly requests: number;
  /** Returns false to end the run (sample buffer full). */
  readonly onSuccess?: (latencyMs: number) => boolean;
  readonly onError?: (error: unknown) => void;
}

async function runPhase(options: PhaseOptions): Promise<{ elapsedMs: number }> {
  const { call, onSuccess, onError } = options;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(options.durationMs * 1e6));
  let issued = 0;
  let stopped = false;
  // The clock is read before every request rather than relying on a timer, so a call that
  // fails synchronously fast (a refused connection) cannot starve the event loop past the end.
  const worker = async (): Promise<void> => {
    while (!stopped && issued < options.requests) {
      const begin = process.hrtime.bigint();
      if (begin >= deadline) break;
      issued++;
      try {
        await call();
        const latencyMs = Number(process.hrtime.bigint() - begin) / 1e6;
        if (onSuccess && !onSuccess(latencyMs)) stopped = true;
      } catch (error) {
        onError?.(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { elapsedMs: Number(process.hrtime.bigint() - start) / 1e6 };
}
