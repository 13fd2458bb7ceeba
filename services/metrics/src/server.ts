/**
 * The gRPC adapter of `sightline.metrics.v1.MetricsService`: each handler converts the message,
 * makes one domain call and converts the answer; the service-kit's wrappers add spans, metrics,
 * logs and the mapping of errors to statuses. Other parts of the service (comparison, annotation,
 * alerts) bring their own handler groups, spread into one implementation here.
 */
import { type Server, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { type CallKit, decoded, tolerantDefinition, unary } from '@sightline/service-kit';
import type { TensorDecodeLimits } from '@sightline/tensor';
import { feedbackItemsFromMessage, feedbackResponse } from './contract/feedback-messages.js';
import { metricsQueryFromMessage, metricsResponse } from './contract/metrics-query-messages.js';
import { getMetrics } from './queries/get-metrics.js';
import type { MetricsDataPlane } from './service/metrics-data-plane.js';

export const METRICS_SERVICE = 'sightline.metrics.v1.MetricsService';

/** The handlers of SendFeedback and GetMetrics. */
export function coreHandlers(
  kit: CallKit,
  plane: MetricsDataPlane,
  tensorLimits: Partial<TensorDecodeLimits>,
  now: () => number = Date.now,
): Pick<metricsV1.MetricsServiceServer, 'sendFeedback' | 'getMetrics'> {
  const m = (name: string) => `${METRICS_SERVICE}/${name}`;
  return {
    sendFeedback: unary(kit, m('SendFeedback'), async (message: metricsV1.SendFeedbackRequest) =>
      feedbackResponse(
        await plane.sendFeedback(
          feedbackItemsFromMessage(decoded(message, 'SendFeedbackRequest'), tensorLimits),
        ),
      ),
    ),
    getMetrics: unary(kit, m('GetMetrics'), async (message: metricsV1.GetMetricsRequest) => {
      const nowMs = now();
      const query = metricsQueryFromMessage(decoded(message, 'GetMetricsRequest'), nowMs);
      return metricsResponse(await getMetrics(plane, query, nowMs));
    }),
  };
}

/**
 * Adds MetricsService to `server`: the core handlers, and for every other method the handler of
 * the first group that has it, looked up at call time (the groups are built once the data plane
 * exists, after the ports bind); a method no group serves is UNIMPLEMENTED.
 */
export function registerMetricsService(
  server: Server,
  kit: CallKit,
  plane: MetricsDataPlane,
  tensorLimits: Partial<TensorDecodeLimits>,
  groups: () => readonly Partial<metricsV1.MetricsServiceServer>[] = () => [],
): void {
  const core = coreHandlers(kit, plane, tensorLimits) as Record<string, unknown>;
  const implementation: Record<string, unknown> = {};
  for (const method of Object.keys(metricsV1.MetricsServiceService)) {
    implementation[method] =
      core[method] ??
      ((call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const handler = groups().find((g) => (g as Record<string, unknown>)[method] !== undefined) as
          | Record<string, (c: typeof call, cb: typeof callback) => void>
          | undefined;
        if (handler === undefined) {
          callback({
            code: status.UNIMPLEMENTED,
            details: `${METRICS_SERVICE}/${method}: not served by this build`,
          });
          return;
        }
        handler[method]!(call, callback);
      });
  }
  server.addService(
    tolerantDefinition(metricsV1.MetricsServiceService),
    implementation as metricsV1.MetricsServiceServer,
  );
}
