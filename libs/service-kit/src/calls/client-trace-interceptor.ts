/**
 * A grpc-js client interceptor that writes the active W3C trace context into every
 * outgoing call's metadata, so a downstream service's spans join the caller's trace.
 */
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { injectTraceContext } from './trace-metadata.js';

/** Injects `traceparent`/`tracestate`/`baggage` from the active context at call start. */
export const traceContextClientInterceptor: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      injectTraceContext(metadata);
      next(metadata, listener);
    },
  });
