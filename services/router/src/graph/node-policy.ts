/**
 * A node's effective policy: its own settings, else the graph's defaults, else the
 * router's final defaults (hard, no per-node timeout, no retries, no breaker).
 */
import type { BreakerSpec, Dependency, PolicySpec, RetrySpec } from './graph-spec.js';

/** Backoff defaults from the contract: 25 ms first, 1 s cap, doubling. */
export const DEFAULT_INITIAL_BACKOFF_MS = 25;
export const DEFAULT_MAX_BACKOFF_MS = 1000;
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
/** Codes retried when a retry policy names none. DEADLINE_EXCEEDED never is: the budget is spent. */
export const DEFAULT_RETRYABLE_CODES: readonly string[] = ['UNAVAILABLE'];
/** How long an open circuit stays open before a trial call, when unset. */
export const DEFAULT_BREAKER_OPEN_MS = 30_000;
/** The most attempts a retry policy may ask for. */
export const MAX_RETRY_ATTEMPTS = 10;
/**
 * The longest request budget the router accepts (a graph's `timeout_ms`, `--request-timeout-ms`),
 * in ms: 2^31 - 1, about 24.8 days. grpc-js (1.14) reads a `grpc-timeout` header into a 32-bit
 * millisecond count, so a longer deadline reaches the model-server as one already passed.
 */
export const MAX_REQUEST_BUDGET_MS = 2_147_483_647;
/** The largest per-node timeout accepted, in ms (one hour). */
export const MAX_NODE_TIMEOUT_MS = 3_600_000;

/** A policy with every field decided. */
export interface ResolvedPolicy {
  readonly dependency: Dependency;
  /** Per-attempt limit in ms; 0 means only the request's remaining budget applies. */
  readonly timeoutMs: number;
  readonly retry: RetrySpec;
  readonly circuitBreaker: BreakerSpec;
}

/** No retries: one attempt. */
export const NO_RETRY: RetrySpec = Object.freeze({
  maxAttempts: 1,
  initialBackoffMs: DEFAULT_INITIAL_BACKOFF_MS,
  maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
  backoffMultiplier: DEFAULT_BACKOFF_MULTIPLIER,
  retryableCodes: DEFAULT_RETRYABLE_CODES,
});

/** Fills the zero values of a retry policy with the contract's defaults. */
export function withRetryDefaults(retry: Partial<RetrySpec>): RetrySpec {
  return {
    maxAttempts: Math.max(1, retry.maxAttempts ?? 1),
    initialBackoffMs: retry.initialBackoffMs || DEFAULT_INITIAL_BACKOFF_MS,
    maxBackoffMs: retry.maxBackoffMs || DEFAULT_MAX_BACKOFF_MS,
    backoffMultiplier: retry.backoffMultiplier || DEFAULT_BACKOFF_MULTIPLIER,
    retryableCodes:
      retry.retryableCodes && retry.retryableCodes.length > 0
        ? retry.retryableCodes
        : DEFAULT_RETRYABLE_CODES,
  };
}

/** Resolves a node's policy against the graph's defaults. */
export function resolvePolicy(own: PolicySpec, defaults: PolicySpec): ResolvedPolicy {
  return Object.freeze({
    dependency: own.dependency ?? defaults.dependency ?? 'hard',
    timeoutMs: own.timeoutMs ?? defaults.timeoutMs ?? 0,
    retry: own.retry ?? defaults.retry ?? NO_RETRY,
    circuitBreaker: own.circuitBreaker ??
      defaults.circuitBreaker ?? { failureThreshold: 0, openDurationMs: DEFAULT_BREAKER_OPEN_MS },
  });
}
