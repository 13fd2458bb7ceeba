/**
 * The standard gRPC server metrics, under the names go-grpc-prometheus made familiar
 * (grpc_server_started_total, grpc_server_handled_total, grpc_server_handling_seconds), so
 * existing dashboards and alerts work.
 */
import { FastCounter, FastHistogram, LATENCY_BUCKETS_SECONDS } from '@sightline/telemetry';
import type { Registry } from 'prom-client';

/** Metric children for one method, resolved once so the per-call cost is an increment. */
export interface MethodMetrics {
  started(): void;
  handled(code: string, seconds: number): void;
}

/** The server-side call metrics of one service. */
export class GrpcServerMetrics {
  // Every call touches these: @sightline/telemetry's fast metrics keep that to additions.
  private readonly startedTotal: FastCounter;
  private readonly handledTotal: FastCounter;
  private readonly handlingSeconds: FastHistogram;

  constructor(registry: Registry) {
    this.startedTotal = new FastCounter({
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      registers: [registry],
    });
    this.handledTotal = new FastCounter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code.',
      registers: [registry],
    });
    this.handlingSeconds = new FastHistogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from receiving an RPC to sending its status, in seconds.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  /** Resolves the label children for a method (`package.Service/Method`). */
  forMethod(path: string, type: 'unary' | 'bidi_stream' | 'server_stream' | 'client_stream'): MethodMetrics {
    const [service = '', method = ''] = path.split('/');
    const labels = { grpc_service: service, grpc_method: method, grpc_type: type };
    const started = this.startedTotal.child(labels);
    const seconds = this.handlingSeconds.child(labels);
    const handledByCode = new Map<string, ReturnType<typeof this.handledTotal.child>>();
    return {
      started: () => started.inc(),
      handled: (code, elapsed) => {
        let child = handledByCode.get(code);
        if (!child) {
          child = this.handledTotal.child({ ...labels, grpc_code: code });
          handledByCode.set(code, child);
        }
        child.inc();
        seconds.observe(elapsed);
      },
    };
  }
}
