/**
 * The gRPC adapter of `sightline.explainer.v1.ExplainerService`: each handler converts the
 * message, makes one data-plane call and converts the answer; the service-kit's wrappers
 * add spans, metrics, logs and the mapping of errors to statuses.
 */
import type { Metadata, Server } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { type CallKit, decoded, serverStream, tolerantDefinition, unary } from '@sightline/service-kit';
import type { TensorDecodeLimits } from '@sightline/tensor';
import { explainInputFromMessage } from './contract/explain-request.js';
import { explainResponseToMessage } from './contract/explain-response.js';
import { globalInputFromMessage } from './contract/global-request.js';
import { jobToMessage, stateFilterFromMessage } from './contract/job-messages.js';
import type { ExplainerDataPlane } from './data-plane/explainer-data-plane.js';
import { sha256Hex } from './data-plane/explanation-cache.js';
import type { ExplanationJobs } from './data-plane/explanation-jobs.js';

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
  jobs: ExplanationJobs,
  tensorLimits: Partial<TensorDecodeLimits>,
): void {
  const m = (name: string) => `${SERVICE}/${name}`;
  const requiredId = (id: string) => {
    if (id === '') throw new InvalidArgumentError('id: required');
    return id;
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
    startExplanation: unary(
      kit,
      m('StartExplanation'),
      async (message: explainerV1.StartExplanationRequest, call) => {
        const req = decoded(message, 'StartExplanationRequest');
        if (req.global && req.local) {
          throw new InvalidArgumentError(
            'work: exactly one of local and global is required, got both (rule "work.set")',
          );
        }
        if (req.global) {
          const fingerprint = sha256Hex([explainerV1.GlobalExplainRequest.encode(req.global).finish()]);
          const view = jobs.startGlobal(
            globalInputFromMessage(req.global, tensorLimits, Date.now()),
            req.idempotencyKey,
            fingerprint,
            callerTraceHeaders(call.metadata),
          );
          return { job: jobToMessage(view) };
        }
        if (!req.local)
          throw new InvalidArgumentError(
            'work: exactly one of local and global is required (rule "work.set")',
          );
        // The request's bytes identify it for the idempotency key.
        const fingerprint = sha256Hex([explainerV1.ExplainRequest.encode(req.local).finish()]);
        const view = jobs.start(
          explainInputFromMessage(req.local, tensorLimits),
          req.idempotencyKey,
          fingerprint,
        );
        return { job: jobToMessage(view) };
      },
    ),
    getExplanation: unary(kit, m('GetExplanation'), async (message: explainerV1.GetExplanationRequest) => ({
      job: jobToMessage(jobs.get(requiredId(decoded(message, 'GetExplanationRequest').id))),
    })),
    watchExplanation: serverStream(
      kit,
      m('WatchExplanation'),
      async (message: explainerV1.WatchExplanationRequest, call, send) => {
        const req = decoded(message, 'WatchExplanationRequest');
        await jobs.watch(
          requiredId(req.id),
          req.partialResults,
          (view) => send({ job: jobToMessage(view) }),
          call,
        );
      },
    ),
    cancelExplanation: unary(
      kit,
      m('CancelExplanation'),
      async (message: explainerV1.CancelExplanationRequest) => ({
        job: jobToMessage(jobs.cancel(requiredId(decoded(message, 'CancelExplanationRequest').id))),
      }),
    ),
    listExplanations: unary(
      kit,
      m('ListExplanations'),
      async (message: explainerV1.ListExplanationsRequest) => {
        const req = decoded(message, 'ListExplanationsRequest');
        const page = jobs.list(req.pageSize, req.pageToken, stateFilterFromMessage(req.state));
        return { jobs: page.jobs.map(jobToMessage), nextPageToken: page.nextPageToken };
      },
    ),
  };
  server.addService(tolerantDefinition(explainerV1.ExplainerServiceService), implementation);
}
