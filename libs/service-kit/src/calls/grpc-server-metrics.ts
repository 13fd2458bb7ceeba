/**
 * The standard gRPC server metrics, under the names go-grpc-prometheus made familiar
 * (grpc_server_started_total, grpc_server_handled_total, grpc_server_handling_seconds), so
 * existing dashboards and alerts work.
 */

import { LATENCY_BUCKETS_SECONDS } from '@sightline/telemetry';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Metric children for one method, resolved once so the per-call cost is an increment. */
export interface MethodMetrics {
  started(): void;
  handled(code: string, seconds: number): void;
}

/** The server-side call metrics of one service. */
export class GrpcServerMetrics {
  private readonly startedTotal: Counter<'grpc_service' | 'grpc_method' | 'grpc_type'>;
  private readonly handledTotal: Counter<'grpc_service' | 'grpc_method' | 'grpc_type' | 'grpc_code'>;
  private readonly handlingSeconds: Histogram<'grpc_service' | 'grpc_method' | 'grpc_type'>;

  constructor(registry: Registry) {
    this.startedTotal = new Counter({
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      registers: [registry],
    });
    this.handledTotal = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code'],
      registers: [registry],
    });
    this.handlingSeconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from receiving an RPC to sending its status, in seconds.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  /** Resolves the label children for a method (`package.Service/Method`). */
  forMethod(path: string, type: 'unary' | 'bidi_stream' | 'server_stream' | 'client_stream'): MethodMetrics {
    const [service = '', method = ''] = path.split('/');
    const labels = { grpc_service: service, grpc_method: method, grpc_type: type };
    const started = this.startedTotal.labels(labels);
    const seconds = this.handlingSeconds.labels(labels);
    const handledByCode = new Map<string, ReturnType<typeof this.handledTotal.labels>>();
    return {
      started: () => started.inc(),
      handled: (code, elapsed) => {
        let child = handledByCode.get(code);
        if (!child) {
          child = this.handledTotal.labels({ ...labels, grpc_code: code });
          handledByCode.set(code, child);
        }
        child.inc();
        seconds.observe(elapsed);
      },
    };
  }
}
