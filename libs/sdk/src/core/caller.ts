/**
 * The one call path of every sub-client: channel by address from the pool, metadata
 * (headers, token, trace context), the deadline, retries of idempotent calls on
 * UNAVAILABLE with full-jitter backoff, cancellation, and errors mapped to the family.
 * New sub-clients (events, traces, ...) take a `Caller` and an address and call through it.
 */
import type { ClientDuplexStream, Metadata, ServiceError } from '@grpc/grpc-js';
import { type Context, context } from '@opentelemetry/api';
import { CancelledError, fullJitterBackoffMs, InvalidArgumentError } from '@sightline/errors';
import { buildCallMetadata } from './call-metadata.js';
import type { CallOptions } from './call-options.js';
import type { ChannelPool } from './channel-pool.js';
import { toSightlineError } from './grpc-error.js';
import type { ResolvedOptions } from './options.js';

/** gRPC's UNAVAILABLE, the one status retried. */
const UNAVAILABLE = 14;

/** A method of a generated grpc-js service definition (`inference.GRPCInferenceServiceService.modelInfer`). */
export interface MethodDefinition<Req, Res> {
  /** The method's HTTP/2 path, `/package.Service/Method`. */
  readonly path: string;
  /** Encodes a request message. */
  readonly requestSerialize: (value: Req) => Buffer;
  /** Decodes a response message. */
  readonly responseDeserialize: (value: Buffer) => Res;
}

/** Whether a unary call may be sent again after UNAVAILABLE (it changes nothing, or changes it once). */
export type Idempotency = 'idempotent' | 'not-idempotent';

/** Calls methods on the pool's channels with the client's defaults. */
export class Caller {
  constructor(
    private readonly pool: ChannelPool,
    /** The client's resolved options (defaults for every call). */
    readonly options: ResolvedOptions,
  ) {}

  /**
   * One unary call; an idempotent one is retried on UNAVAILABLE while attempts and the
   * deadline last.
   *
   * @throws the SightlineError of the last attempt (CancelledError when `signal` aborted).
   */
  unary<Req, Res>(
    address: string,
    method: MethodDefinition<Req, Res>,
    request: Req,
    callOptions: CallOptions = {},
    idempotency: Idempotency = 'not-idempotent',
  ): Promise<Res> {
    const traceContext = context.active();
    const badDeadline = callDeadlineProblem(callOptions);
    if (badDeadline) return Promise.reject(badDeadline);
    const deadline = Date.now() + (callOptions.deadlineMs ?? this.options.deadlineMs);
    if (
      idempotency === 'not-idempotent' ||
      callOptions.retry === false ||
      this.maxAttempts(callOptions) === 1
    ) {
      // One attempt: no async frame or retry state, so a load generator's hot loop pays
      // what a bare grpc-js call costs.
      if (callOptions.signal?.aborted) return Promise.reject(abortedBeforeSending());
      return this.unaryOnce(address, method, request, callOptions, traceContext, deadline).catch(
        rethrowMapped,
      );
    }
    return this.unaryWithRetries(address, method, request, callOptions, traceContext, deadline);
  }

  private async unaryWithRetries<Req, Res>(
    address: string,
    method: MethodDefinition<Req, Res>,
    request: Req,
    callOptions: CallOptions,
    traceContext: Context,
    deadline: number,
  ): Promise<Res> {
    const retry = { ...this.options.retry, ...(callOptions.retry || {}) };
    for (let attempt = 0; ; attempt++) {
      if (callOptions.signal?.aborted) throw abortedBeforeSending();
      try {
        return await this.unaryOnce(address, method, request, callOptions, traceContext, deadline);
      } catch (error) {
        const code = (error as Partial<ServiceError>).code;
        if (code !== UNAVAILABLE || attempt + 1 >= retry.maxAttempts) throw toSightlineError(error);
        const delayMs = fullJitterBackoffMs(attempt, {
          initialMs: retry.initialBackoffMs,
          maxMs: retry.maxBackoffMs,
        });
        if (Date.now() + delayMs >= deadline) throw toSightlineError(error);
        await sleep(delayMs, callOptions.signal);
      }
    }
  }

  private maxAttempts(callOptions: CallOptions): number {
    return (callOptions.retry || undefined)?.maxAttempts ?? this.options.retry.maxAttempts;
  }

  /**
   * A server-streaming call as an async iterable of its messages; ending the iteration
   * early cancels the call.
   *
   * @throws (from the iteration) the SightlineError the stream failed with.
   */
  async *serverStream<Req, Res>(
    address: string,
    method: MethodDefinition<Req, Res>,
    request: Req,
    callOptions: CallOptions = {},
  ): AsyncGenerator<Res, void, undefined> {
    throwIfAborted(callOptions.signal);
    const metadata = this.metadata(callOptions, context.active());
    const call = this.pool
      .clientFor(address)
      .makeServerStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        streamDeadline(callOptions),
      );
    const onAbort = () => call.cancel();
    callOptions.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const message of call) yield message as Res;
    } catch (error) {
      throw toSightlineError(error);
    } finally {
      callOptions.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /**
   * A bidirectional stream with the call's metadata and deadline (streams have no default
   * deadline: they live as long as their caller keeps them). Errors it emits are grpc-js
   * errors; pass them through `toSightlineError`.
   */
  bidiStream<Req, Res>(
    address: string,
    method: MethodDefinition<Req, Res>,
    callOptions: CallOptions = {},
  ): ClientDuplexStream<Req, Res> {
    throwIfAborted(callOptions.signal);
    const call = this.pool
      .clientFor(address)
      .makeBidiStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        this.metadata(callOptions, context.active()),
        streamDeadline(callOptions),
      );
    callOptions.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    return call;
  }

  private unaryOnce<Req, Res>(
    address: string,
    method: MethodDefinition<Req, Res>,
    request: Req,
    callOptions: CallOptions,
    traceContext: Context,
    deadline: number,
  ): Promise<Res> {
    // Built inside the executor: a refused header or a closed client rejects, never throws.
    return new Promise<Res>((resolve, reject) => {
      const metadata = this.metadata(callOptions, traceContext);
      const call = this.pool
        .clientFor(address)
        .makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          metadata,
          { deadline },
          (error, response) => {
            callOptions.signal?.removeEventListener('abort', onAbort);
            if (error) reject(error);
            else resolve(response as Res);
          },
        );
      const onAbort = () => call.cancel();
      callOptions.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private metadata(callOptions: CallOptions, traceContext: Context): Metadata {
    return buildCallMetadata(callOptions.headers, this.options.token, traceContext);
  }
}

/**
 * Refuses a per-call `deadlineMs` the client's constructor would refuse (0, negative, NaN),
 * before anything is sent: such a call could only end DEADLINE_EXCEEDED, hiding the mistake.
 */
function callDeadlineProblem(callOptions: CallOptions): InvalidArgumentError | undefined {
  const ms = callOptions.deadlineMs;
  if (ms === undefined || ms > 0) return undefined;
  return new InvalidArgumentError(
    `deadlineMs: must be a positive number of ms (or Infinity for none), got ${ms}`,
    {
      field: 'deadlineMs',
    },
  );
}

function streamDeadline(callOptions: CallOptions): { deadline?: number } {
  const badDeadline = callDeadlineProblem(callOptions);
  if (badDeadline) throw badDeadline;
  return callOptions.deadlineMs === undefined ? {} : { deadline: Date.now() + callOptions.deadlineMs };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedBeforeSending();
}

function abortedBeforeSending(): CancelledError {
  return new CancelledError('call: cancelled by the caller before it was sent');
}

function rethrowMapped(error: unknown): never {
  throw toSightlineError(error);
}

/** Waits `ms`, or rejects with a CancelledError as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('call: cancelled by the caller while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
