/**
 * The call policy of a node's upstream call: each attempt's deadline is min(node timeout,
 * remaining budget), only the policy's codes (UNAVAILABLE by default) are retried with
 * jittered backoff that never outlasts the budget, and a circuit breaker per node and
 * address fails fast while an upstream keeps failing. Every attempt gets a client span
 * inside the node's span when the router records spans.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  type Cancellation,
  CancelledError,
  DeadlineExceededError,
  type ErrorCode,
  errorCode,
  errorMessage,
  isSightlineError,
  quoteName,
  SightlineError,
  UnavailableError,
} from '@sightline/errors';
import type { CompiledGraph, CompiledNode } from '../graph/compiled-graph.js';
import { backoffMs, sleep } from './backoff.js';
import { type BreakerOutcome, type BreakerPermit, CircuitBreaker } from './circuit-breaker.js';
import type { BreakerState, ExecutionObserver } from './ports.js';

/**
 * Status codes that count against a circuit breaker: the upstream's health, not the
 * request's fault. DEADLINE_EXCEEDED counts only when the node's own timeout ended the
 * attempt; when the caller's budget did, nothing was learnt about the upstream.
 */
const BREAKER_FAILURE_CODES = new Set<string>([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'INTERNAL',
  'RESOURCE_EXHAUSTED',
]);

/**
 * What an attempt's end tells the breaker. Any other answer of the upstream (NOT_FOUND,
 * INVALID_ARGUMENT, ...) shows it up and answering: a success for the breaker.
 */
function breakerOutcome(code: string, cancelled: boolean, endedByCallerDeadline: boolean): BreakerOutcome {
  if (cancelled || code === 'CANCELLED') return 'abandoned';
  if (code === 'DEADLINE_EXCEEDED' && endedByCallerDeadline) return 'abandoned';
  return BREAKER_FAILURE_CODES.has(code) ? 'failure' : 'success';
}

/** The span of untraced work: an invalid context that records nothing. */
export const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** What a {@link CallPolicy} is built from. */
export interface CallPolicyOptions {
  readonly tracer: Tracer;
  /** Whether each attempt gets a client span (false when no exporter records them). */
  readonly traced: boolean;
  readonly observer: ExecutionObserver;
  readonly now: () => number;
  readonly random: () => number;
}

/** Whom a policed call goes to, for its breaker, span and error sentences. */
export interface PolicyTarget {
  readonly graph: CompiledGraph;
  readonly node: CompiledNode;
  readonly address: string;
  /** How errors name the target, e.g. `model "iris"`. */
  readonly label: string;
  /** `package.Service/Method`, the attempt span's name. */
  readonly method: string;
}

/** The request's limits a policed call runs under. */
export interface CallBudget {
  /** Epoch ms by which the request's answer is due. */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
}

/**
 * Applies nodes' call policies; one per executor. Breakers belong to the compiled graph
 * they guard: a re-applied graph (a new compiled graph) starts with fresh, closed breakers,
 * and an old one's go with it.
 */
export class CallPolicy {
  private readonly breakers = new WeakMap<CompiledGraph, Map<string, CircuitBreaker>>();
  /**
   * The last state reported per graph name, node and address, so the state gauge of a
   * re-applied graph's node goes back to closed instead of showing the old breaker's.
   */
  private readonly reported = new Map<string, BreakerState>();

  constructor(private readonly options: CallPolicyOptions) {}

  private breakerFor(graph: CompiledGraph, node: CompiledNode, address: string): CircuitBreaker {
    let ofGraph = this.breakers.get(graph);
    if (!ofGraph) {
      ofGraph = new Map();
      this.breakers.set(graph, ofGraph);
    }
    const key = `${node.name}\u0000${address}`;
    let breaker = ofGraph.get(key);
    if (!breaker) {
      const name = graph.spec.name;
      const reportKey = `${name}\u0000${key}`;
      const report = (state: BreakerState) => {
        this.reported.set(reportKey, state);
        this.options.observer.breakerChanged(name, node.name, address, state);
      };
      breaker = new CircuitBreaker(
        node.policy.circuitBreaker,
        (state) => {
          report(state);
          trace.getActiveSpan()?.addEvent('sightline.circuit_breaker', {
            'sightline.breaker.state': state,
            'server.address': address,
          });
        },
        this.options.now,
      );
      const previous = this.reported.get(reportKey);
      if (previous !== undefined && previous !== 'closed') report('closed');
      ofGraph.set(key, breaker);
    }
    return breaker;
  }

  /**
   * One upstream call under the node's policy: attempt deadlines, retries on the policy's
   * codes with backoff inside the budget, and the circuit breaker. Errors name the node,
   * the target and the attempts.
   */
  async call<T>(
    target: PolicyTarget,
    budget: CallBudget,
    attemptCall: (deadlineMs: number, cancellation: Cancellation) => Promise<T>,
  ): Promise<T> {
    const { node, address } = target;
    const graph = target.graph.spec.name;
    const { now, random, observer } = this.options;
    const { retry } = node.policy;
    const breaker = this.breakerFor(target.graph, node, address);
    const nodeSpan = trace.getActiveSpan();
    const where = `node ${quoteName(node.name)} (${target.label} at ${address})`;
    for (let attempt = 1; ; attempt++) {
      if (budget.cancellation.cancelReason) throw new CancelledError(`${where}: the caller cancelled`);
      if (now() >= budget.deadlineMs) {
        throw new DeadlineExceededError(
          `${where}: deadline exceeded ${attempt === 1 ? 'before the call' : `after ${attempt - 1} attempt${attempt > 2 ? 's' : ''}`}; no further upstream was called`,
        );
      }
      const permit = breaker.permit();
      if (!permit) {
        throw new UnavailableError(
          breaker.state === 'open'
            ? `${where}: circuit breaker open after repeated failures; next trial in ${breaker.retryAfterMs()} ms`
            : `${where}: circuit breaker half-open; its one trial call is in flight`,
        );
      }
      const outcome = await this.attempt(target, budget, attempt, permit, attemptCall);
      if (outcome.ok) return outcome.value;
      const { error, code } = outcome;
      const retryable = retry.retryableCodes.includes(code) && code !== 'DEADLINE_EXCEEDED';
      const delay = backoffMs(retry, attempt, random);
      if (retryable && attempt < retry.maxAttempts && now() + delay < budget.deadlineMs) {
        nodeSpan?.addEvent('sightline.retry', {
          'sightline.attempt': attempt,
          'sightline.status_code': code,
          'sightline.backoff_ms': Math.round(delay),
        });
        observer.retried(graph, node.name, code);
        try {
          await sleep(delay, budget.cancellation);
        } catch {
          throw new CancelledError(`${where}: the caller cancelled during retry backoff`);
        }
        continue;
      }
      const attempts = attempt > 1 ? ` after ${attempt} attempts` : '';
      const cause = isSightlineError(error) ? error.message : errorMessage(error);
      throw new SightlineError(code, `${where}: ${code}${attempts}: ${cause}`, { cause: error });
    }
  }

  /**
   * One attempt: its deadline, its client span, and its permit settled however the attempt
   * ends (answer, error, synchronous throw), before any retry backoff, so a half-open trial
   * never holds the trial slot past its own call.
   */
  private async attempt<T>(
    target: PolicyTarget,
    budget: CallBudget,
    attempt: number,
    permit: BreakerPermit,
    attemptCall: (deadlineMs: number, cancellation: Cancellation) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown; code: ErrorCode }> {
    const { node, address, method } = target;
    const { tracer, traced, now } = this.options;
    let settled: BreakerOutcome = 'abandoned';
    try {
      const started = now();
      const timeoutMs = node.policy.timeoutMs;
      const attemptDeadline =
        timeoutMs > 0 ? Math.min(budget.deadlineMs, started + timeoutMs) : budget.deadlineMs;
      const span = traced
        ? tracer.startSpan(method, {
            kind: SpanKind.CLIENT,
            attributes: {
              'rpc.system': 'grpc',
              'rpc.service': method.split('/')[0]!,
              'rpc.method': method.split('/')[1]!,
              'server.address': address,
              'sightline.node': node.name,
              'sightline.attempt': attempt,
              'sightline.deadline_ms': attemptDeadline - started,
            },
          })
        : NOT_TRACED;
      try {
        const value = traced
          ? await context.with(trace.setSpan(context.active(), span), () =>
              attemptCall(attemptDeadline, budget.cancellation),
            )
          : await attemptCall(attemptDeadline, budget.cancellation);
        settled = 'success';
        span.end();
        return { ok: true, value };
      } catch (error) {
        const code = errorCode(error);
        settled = breakerOutcome(
          code,
          budget.cancellation.cancelReason !== undefined,
          attemptDeadline >= budget.deadlineMs,
        );
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        span.setAttribute('sightline.status_code', code);
        span.end();
        return { ok: false, error, code };
      }
    } finally {
      permit.settle(settled);
    }
  }
}
