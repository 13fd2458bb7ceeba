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
  isSightlineError,
  SightlineError,
  UnavailableError,
} from '@sightline/errors';
import type { CompiledNode } from '../graph/compiled-graph.js';
import { backoffMs, sleep } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { errorCode, errorMessage } from './graph-executor.js';
import type { ExecutionObserver } from './ports.js';

/** Status codes that count against a circuit breaker: the upstream's health, not the request's fault. */
const BREAKER_FAILURE_CODES = new Set<string>([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'INTERNAL',
  'RESOURCE_EXHAUSTED',
]);

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
  readonly graph: string;
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

/** Applies nodes' call policies; one per executor, holding the circuit breakers. */
export class CallPolicy {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: CallPolicyOptions) {}

  private breakerFor(graph: string, node: CompiledNode, address: string): CircuitBreaker {
    const key = `${graph}\u0000${node.name}\u0000${address}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(
        node.policy.circuitBreaker,
        (state) => {
          this.options.observer.breakerChanged(graph, node.name, address, state);
          trace.getActiveSpan()?.addEvent('sightline.circuit_breaker', {
            'sightline.breaker.state': state,
            'server.address': address,
          });
        },
        this.options.now,
      );
      this.breakers.set(key, breaker);
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
    const { graph, node, address, method } = target;
    const { now, random, observer, tracer, traced } = this.options;
    const { retry, timeoutMs } = node.policy;
    const breaker = this.breakerFor(graph, node, address);
    const nodeSpan = trace.getActiveSpan();
    const where = `node "${node.name}" (${target.label} at ${address})`;
    for (let attempt = 1; ; attempt++) {
      if (budget.cancellation.cancelReason) throw new CancelledError(`${where}: the caller cancelled`);
      const started = now();
      if (started >= budget.deadlineMs) {
        throw new DeadlineExceededError(
          `${where}: deadline exceeded ${attempt === 1 ? 'before the call' : `after ${attempt - 1} attempt${attempt > 2 ? 's' : ''}`}; no further upstream was called`,
        );
      }
      if (!breaker.allow()) {
        throw new UnavailableError(
          `${where}: circuit breaker open after repeated failures; next trial in ${breaker.retryAfterMs()} ms`,
        );
      }
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
        const result = traced
          ? await context.with(trace.setSpan(context.active(), span), () =>
              attemptCall(attemptDeadline, budget.cancellation),
            )
          : await attemptCall(attemptDeadline, budget.cancellation);
        breaker.success();
        span.end();
        return result;
      } catch (error) {
        const code = errorCode(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        span.setAttribute('sightline.status_code', code);
        span.end();
        if (BREAKER_FAILURE_CODES.has(code)) breaker.failure();
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
  }
}
