/**
 * Each inference is one server span continuing the caller's W3C trace, with child spans
 * for the time in the batching queue and the execution, on the real server and model.
 */
import { fileURLToPath } from 'node:url';
import { Metadata } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTracing, InMemorySpanExporter } from '@sightline/telemetry';
import { createTensor, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '../src/index.js';
import { V2Client } from './helpers/v2-client.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/models', import.meta.url));
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

describe('model-server tracing', () => {
  const exporter = new InMemorySpanExporter();
  let server: ModelServerHandle;
  let client: V2Client;

  beforeAll(async () => {
    const config = loadConfig(modelServerConfigSchema, {
      flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository: EXAMPLES },
    });
    const tracing = createTracing({ serviceName: 'model-server-test', exporter, env: {} });
    server = await startModelServer(config, { logger: silentLogger(), tracing });
    client = new V2Client(server.grpcAddress);
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown('test over');
  });

  it('records a server span under the caller trace with queue and compute children', async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`);
    const x = createTensor('input', 'FP32', [2, 4], Float32Array.of(5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3));
    const request = inference.ModelInferRequest.fromPartial({
      modelName: 'iris',
      ...encodeInferInputs([x], 'raw'),
    });
    await new Promise<void>((resolve, reject) =>
      client.stub.modelInfer(request, metadata, (error) => (error ? reject(error) : resolve())),
    );
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
    const serverSpan = spans.find((s) => s.name === 'inference.GRPCInferenceService/ModelInfer');
    expect(serverSpan?.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    const serverSpanId = serverSpan!.spanContext().spanId;
    const queue = spans.find((s) => s.name === 'queue');
    const compute = spans.find((s) => s.name === 'compute');
    expect(queue?.parentSpanContext?.spanId).toBe(serverSpanId);
    expect(compute?.parentSpanContext?.spanId).toBe(serverSpanId);
    expect(compute?.attributes).toMatchObject({
      'sightline.model.name': 'iris',
      'sightline.model.version': '1',
      'sightline.batch_size': 2,
      'sightline.backend': 'onnxruntime-cpu',
    });
    // The phases are ordered exactly (one clock) and within the server span up to the
    // SDK's per-span clock correction, which is millisecond-accurate.
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(queue!.endTime)).toBeLessThanOrEqual(ms(compute!.startTime));
    expect(ms(queue!.startTime)).toBeLessThanOrEqual(ms(queue!.endTime));
    expect(ms(compute!.endTime)).toBeLessThanOrEqual(ms(serverSpan!.endTime) + 2);
    expect(ms(queue!.startTime)).toBeGreaterThanOrEqual(ms(serverSpan!.startTime) - 2);
  });
});
