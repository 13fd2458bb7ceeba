/**
 * Adapters from grpc-js handler signatures to plain async functions, carrying every
 * cross-cutting concern once: a server span from the caller's W3C context, the standard
 * gRPC metrics, a structured log line, the caller's deadline and cancellation as an
 * AbortSignal, and the mapping of thrown errors to gRPC statuses.
 *
 * Why wrappers rather than grpc-js server interceptors: an interceptor cannot make its
 * span the active OpenTelemetry context inside the handler's async work, and sees only the
 * status a handler produced, not the error it threw (with its cause for the log).
 */
import type {
  Metadata,
  ServerDuplexStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from '@grpc/grpc-js';
import {
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
} from '@opentelemetry/semantic-conventions/incubating';
import { type Cancellation, CancelledError, DeadlineExceededError } from '@sightline/errors';
import type { Logger } from 'pino';
import { endCoalescedSpans, startCoalescedSpans } from './coalesced-spans.js';
import { statusName, toGrpcStatus } from './error-status.js';
import type { GrpcServerMetrics, MethodMetrics } from './grpc-server-metrics.js';
import { extractTraceContext } from './trace-metadata.js';

/**
 * What a handler knows about its call, without grpc-js call objects. As a `Cancellation` it
 * tells of the caller's cancel or passed deadline (`cancelReason`, `onCancel`: listeners are
 * not called if the call ends first), the light alternative to `signal` for code on every
 * request's path.
 */
export interface CallContext extends Cancellation {
  /** `package.Service/Method`. */
  readonly method: string;
  /**
   * Aborted when the caller cancels or its deadline passes. Built on first use (Node's
   * AbortSignal is an EventTarget, costly to build and to listen on).
   */
  readonly signal: AbortSignal;
  /** The caller's deadline as epoch milliseconds, or undefined for none. */
  readonly deadlineMs: number | undefined;
  /** The request metadata (headers). */
  readonly metadata: Metadata;
  /** The server span of this call (a no-op span when tracing is off). */
  readonly span: Span;
  readonly logger: Logger;
}

/** The shared parts every call wrapper needs; built once in main. */
export interface CallKit {
  readonly tracer: Tracer;
  /**
   * Whether calls get a server span from the caller's W3C context (default true). A service
   * with no trace exporter sets false: nobody would see its spans, so reading the metadata
   * and starting no-op spans is pure cost. One that calls others must then pass the caller's
   * trace headers on itself (the router does).
   */
  readonly traced?: boolean;
  readonly logger: Logger;
  readonly metrics: GrpcServerMetrics;
}

/** A unary handler in domain terms. */
export type UnaryHandler<Req, Res> = (request: Req, call: CallContext) => Promise<Res>;

/** A bidirectional-stream handler: one request in, one response (or error) out, per message. */
export type StreamMessageHandler<Req, Res> = (request: Req, call: CallContext) => Promise<Res>;

/**
 * A cancel this close to the caller's deadline is counted as the deadline: the client's and
 * the server's deadline timers race (either may end the stream first), and Node's timers run
 * off a loop clock that lags under load, so the server's can fire before Date.now() reaches
 * the deadline. The server's deadline also runs from when it read the request, so a request
 * read late (a loaded 2-core CI runner: over 50 ms) sees the client's own deadline cancel well
 * before its copy of the deadline; a real cancel this close to the deadline is rare, and
 * counting it as the deadline costs only its label.
 */
export const DEADLINE_CANCEL_SLACK_MS = 250;

/** The span of an untraced call: invalid context, records nothing. */
const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

function deadlineOf(call: { getDeadline(): Date | number }): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * One call's context and bookkeeping. The AbortController behind `signal` is created on
 * first use: Node's AbortSignal is costly to build (an EventTarget), and most calls end
 * without anyone listening for a cancel (a request that runs at once never reads it).
 */
class ServerCall implements CallContext {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private cancelListeners: ((reason: Error) => void)[] | undefined;
  /** Set once the call's status is decided. */
  done = false;
  /** Spans of the other callers of a coalesced call (coalesced-spans.ts), ended with `span`. */
  coalescedSpans: Span[] | undefined;

  constructor(
    readonly method: string,
    readonly deadlineMs: number | undefined,
    readonly metadata: Metadata,
    readonly span: Span,
    readonly logger: Logger,
    readonly startNs: bigint,
    readonly methodMetrics: MethodMetrics,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get cancelReason(): Error | undefined {
    return this.abortReason;
  }

  onCancel(listener: (reason: Error) => void): () => void {
    if (this.abortReason !== undefined) {
      listener(this.abortReason);
      return () => {};
    }
    this.cancelListeners ??= [];
    this.cancelListeners.push(listener);
    return () => {
      const index = this.cancelListeners?.indexOf(listener) ?? -1;
      if (index >= 0) this.cancelListeners!.splice(index, 1);
    };
  }

  /** Cancels the call: the signal (now if someone holds it, else when asked for) and listeners. */
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const listeners = this.cancelListeners;
    this.cancelListeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }
}

/** What a wrapper knows about its method before any call: built once, not per call. */
interface MethodKit {
  readonly method: string;
  readonly metrics: MethodMetrics;
  /** The server span's options (span processors copy the attributes; they are never mutated). */
  readonly spanOptions: SpanOptions;
}

function methodKit(kit: CallKit, method: string, type: 'unary' | 'bidi_stream' | 'server_stream'): MethodKit {
  const [service = '', rpc = ''] = method.split('/');
  return {
    method,
    metrics: kit.metrics.forMethod(method, type),
    spanOptions: {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_RPC_SYSTEM]: 'grpc', [ATTR_RPC_SERVICE]: service, [ATTR_RPC_METHOD]: rpc },
    },
  };
}

function beginCall(
  kit: CallKit,
  { method, metrics: methodMetrics, spanOptions }: MethodKit,
  call: { metadata: Metadata; getDeadline(): Date | number; on(event: 'cancelled', cb: () => void): unknown },
): ServerCall {
  const startNs = process.hrtime.bigint();
  methodMetrics.started();
  const span =
    kit.traced !== false
      ? kit.tracer.startSpan(method, spanOptions, extractTraceContext(call.metadata))
      : NOT_TRACED;
  const deadlineMs = deadlineOf(call);
  const start = new ServerCall(method, deadlineMs, call.metadata, span, kit.logger, startNs, methodMetrics);
  if (kit.traced !== false) {
    start.coalescedSpans = startCoalescedSpans(kit.tracer, method, spanOptions, call.metadata, span);
  }
  // grpc-js reports a passed deadline and a caller's cancel alike; the reason tells them
  // apart, so work abandoned in a queue is counted and logged as what it was. grpc-js also
  // emits 'cancelled' when the stream closes after the call ended: that is no cancellation,
  // and must not build an error (with its stack) for every call.
  call.on('cancelled', () => {
    if (start.done) return;
    start.abort(
      deadlineMs !== undefined && Date.now() >= deadlineMs - DEADLINE_CANCEL_SLACK_MS
        ? new DeadlineExceededError(`${method}: the caller's deadline passed`)
        : new CancelledError(`${method}: cancelled by the caller`),
    );
  });
  return start;
}

function finishCall(
  kit: CallKit,
  start: ServerCall,
  error: unknown,
): ReturnType<typeof toGrpcStatus> | undefined {
  start.done = true;
  const elapsedSeconds = Number(process.hrtime.bigint() - start.startNs) / 1e9;
  const span = start.span;
  if (error === undefined) {
    start.methodMetrics.handled('OK', elapsedSeconds);
    span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, 0);
    span.end();
    endCoalescedSpans(start.coalescedSpans, ATTR_RPC_GRPC_STATUS_CODE, 0);
    if (kit.logger.isLevelEnabled('debug')) {
      kit.logger.debug({ method: start.method, code: 'OK', ms: elapsedSeconds * 1e3 }, 'call');
    }
    return undefined;
  }
  const mapped = toGrpcStatus(error);
  const code = statusName(mapped.code);
  start.methodMetrics.handled(code, elapsedSeconds);
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, mapped.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: mapped.details });
  if (!mapped.expected) span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.end();
  endCoalescedSpans(start.coalescedSpans, ATTR_RPC_GRPC_STATUS_CODE, mapped.code, {
    code: SpanStatusCode.ERROR,
    message: mapped.details,
  });
  const fields = { method: start.method, code, ms: elapsedSeconds * 1e3, details: mapped.details };
  if (mapped.expected) kit.logger.info(fields, 'call failed');
  else kit.logger.error({ ...fields, err: error }, 'call failed unexpectedly');
  return mapped;
}

/** The context with the call's server span active; undefined for an untraced call. */
function callSpanContext(kit: CallKit, call: ServerCall): Context | undefined {
  return kit.traced === false ? undefined : trace.setSpan(context.active(), call.span);
}

/** Runs `work` in `active` (see callSpanContext); untraced calls skip the context switch. */
function inCallContext<T>(active: Context | undefined, work: () => Promise<T>): Promise<T> {
  return active === undefined ? work() : context.with(active, work);
}

/** Wraps a domain unary handler as a grpc-js unary handler. */
export function unary<Req, Res>(
  kit: CallKit,
  method: string,
  handler: UnaryHandler<Req, Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  const mk = methodKit(kit, method, 'unary');
  return (call, callback) => {
    const start = beginCall(kit, mk, call);
    inCallContext(callSpanContext(kit, start), () => handler(call.request, start)).then(
      (response) => {
        finishCall(kit, start, undefined);
        callback(null, response);
      },
      (error: unknown) => {
        const mapped = finishCall(kit, start, error)!;
        callback({ code: mapped.code, details: mapped.details, metadata: mapped.metadata });
      },
    );
  };
}

/**
 * Wraps a per-message handler as a grpc-js bidirectional-stream handler (Triton's
 * ModelStreamInfer shape): every incoming message is handled concurrently and answered as
 * soon as it completes; a failed message is answered by `onError(error, request)` and the
 * stream stays open. At most `maxInFlight` messages are handled at once per stream; past
 * that the stream stops reading until one completes (backpressure, never an unbounded queue).
 */
export function bidiStream<Req, Res>(
  kit: CallKit,
  method: string,
  options: {
    readonly maxInFlight: number;
    readonly handle: StreamMessageHandler<Req, Res>;
    readonly onError: (error: ReturnType<typeof toGrpcStatus>, request: Req) => Res;
  },
): (call: ServerDuplexStream<Req, Res>) => void {
  const mk = methodKit(kit, method, 'bidi_stream');
  return (call) => {
    const start = beginCall(kit, mk, call);
    // Once per stream, not per message.
    const active = callSpanContext(kit, start);
    let inFlight = 0;
    let inputEnded = false;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      const mapped = finishCall(kit, start, error);
      if (mapped)
        call.emit('error', { code: mapped.code, details: mapped.details, metadata: mapped.metadata });
      else call.end();
    };
    const maybeEnd = () => {
      if (inputEnded && inFlight === 0) finish();
    };
    call.on('data', (request: Req) => {
      inFlight += 1;
      if (inFlight >= options.maxInFlight) call.pause();
      inCallContext(active, () => options.handle(request, start))
        .then(
          (response) => response,
          (error: unknown) => {
            const mapped = toGrpcStatus(error);
            if (!mapped.expected)
              kit.logger.error({ method, err: error }, 'stream message failed unexpectedly');
            return options.onError(mapped, request);
          },
        )
        .then((response) => {
          if (!finished && !call.cancelled) call.write(response);
          inFlight -= 1;
          if (call.isPaused()) call.resume();
          maybeEnd();
        });
    });
    call.on('end', () => {
      inputEnded = true;
      maybeEnd();
    });
    call.on('error', (error) => finish(error));
    call.on('cancelled', () => finish(new CancelledError(`${method}: stream cancelled by the caller`)));
  };
}

/**
 * Sends one message of a server stream; resolves once the stream can take another (grpc-js
 * buffered it under its high-water mark, or drained), rejects with the cancel reason once
 * the caller has gone.
 */
export type StreamSend<Res> = (response: Res) => Promise<void>;

/** A server-streaming handler: sends its answer with `send`, resolves when it is complete. */
export type ServerStreamHandler<Req, Res> = (
  request: Req,
  call: CallContext,
  send: StreamSend<Res>,
) => Promise<void>;

/**
 * Wraps a domain server-streaming handler as a grpc-js one: the stream ends with OK when
 * the handler resolves, and with the mapped status when it throws. `send` applies
 * backpressure: a handler that awaits it never holds more than grpc-js's write buffer in
 * memory for a slow reader.
 */
export function serverStream<Req, Res>(
  kit: CallKit,
  method: string,
  handler: ServerStreamHandler<Req, Res>,
): (call: ServerWritableStream<Req, Res>) => void {
  const mk = methodKit(kit, method, 'server_stream');
  return (call) => {
    const start = beginCall(kit, mk, call);
    const send: StreamSend<Res> = (response) => {
      if (start.cancelReason) return Promise.reject(start.cancelReason);
      if (call.write(response)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const stop = start.onCancel(reject);
        call.once('drain', () => {
          stop();
          resolve();
        });
      });
    };
    inCallContext(callSpanContext(kit, start), () => handler(call.request, start, send)).then(
      () => {
        finishCall(kit, start, undefined);
        call.end();
      },
      (error: unknown) => {
        const mapped = finishCall(kit, start, error)!;
        call.emit('error', { code: mapped.code, details: mapped.details, metadata: mapped.metadata });
      },
    );
  };
}
