/**
 * The gRPC adapter of `sightline.explainer.v1.ExplainerService`: each handler converts the
 * message, makes one data-plane call and converts the answer; the service-kit's wrappers
 * add spans, metrics, logs and the mapping of errors to statuses.
 */
import type { Metadata, Server } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import { UnimplementedError } from '@sightline/errors';
import { type CallKit, decoded, serverStream, tolerantDefinition, unary } from '@sightline/service-kit';
import type { TensorDecodeLimits } from '@sightline/tensor';
import { explainInputFromMessage } from './contract/explain-request.js';
import { explainResponseToMessage } from './contract/explain-response.js';
import type { ExplainerDataPlane } from './data-plane/explainer-data-plane.js';

const SERVICE = 'sightline.explainer.v1.ExplainerService';
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** The caller's W3C trace headers, passed on to the target on every model call. */
export function callerTraceHeaders(metadata: Metadata): Record<string, string> | undefined {
  let headers: Record<string, string> | undefined;
  for (const name of TRACE_HEADERS) {
    const value = metadata.get(name)[0];
    if (typeof value === 'string' && value !== '') {
      headers ??= {};
      headers[name] = value;
    }
  }
  return headers;
}

/** Adds ExplainerService to `server`. */
export function registerExplainerService(
  server: Server,
  kit: CallKit,
  plane: ExplainerDataPlane,
  tensorLimits: Partial<TensorDecodeLimits>,
): void {
  const m = (name: string) => `${SERVICE}/${name}`;
  const notYet = (rpc: string) => async () => {
    throw new UnimplementedError(`${rpc}: jobs are not available in this explainer yet; use Explain`);
  };
  const implementation: explainerV1.ExplainerServiceServer = {
    explain: unary(kit, m('Explain'), async (message: explainerV1.ExplainRequest, call) => {
      const input = explainInputFromMessage(decoded(message, 'ExplainRequest'), tensorLimits);
      const traceHeaders = callerTraceHeaders(call.metadata);
      const outcome = await plane.explain(input, {
        deadlineMs: call.deadlineMs,
        cancellation: call,
        ...(traceHeaders ? { traceHeaders } : {}),
      });
      return explainResponseToMessage(outcome);
    }),
    startExplanation: unary(kit, m('StartExplanation'), notYet('StartExplanation')),
    getExplanation: unary(kit, m('GetExplanation'), notYet('GetExplanation')),
    watchExplanation: serverStream(kit, m('WatchExplanation'), notYet('WatchExplanation')),
    cancelExplanation: unary(kit, m('CancelExplanation'), notYet('CancelExplanation')),
    listExplanations: unary(kit, m('ListExplanations'), notYet('ListExplanations')),
  };
  server.addService(tolerantDefinition(explainerV1.ExplainerServiceService), implementation);
}
