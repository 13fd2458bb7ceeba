/**
 * A real Prometheus (Debian's `prometheus` package) scrapes a running model-server's
 * /metrics, and the per-model series are queried back through its HTTP API: the metrics
 * are not only printed, they are valid exposition that Prometheus ingests with the labels
 * dashboards and alerts use.
 */
import { fileURLToPath } from 'node:url';
import { inference } from '@sightline/contracts';
import { startTestPrometheus, type TestPrometheus } from '@sightline/service-kit/testing';
import { createTensor, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/models', import.meta.url));

describe('Prometheus scraping the model-server', () => {
  let server: InProcessServer;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    server = await startInProcessServer(EXAMPLES);
    prometheus = await startTestPrometheus({ 'model-server': [`127.0.0.1:${server.server.httpPort}`] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
  });

  it('ingests per-model request, latency and batch series with model, version and backend labels', async () => {
    const x = createTensor('input', 'FP32', [1, 4], Float32Array.of(5.1, 3.5, 1.4, 0.2));
    for (let i = 0; i < 5; i++) {
      const request = inference.ModelInferRequest.fromPartial({
        modelName: 'iris',
        ...encodeInferInputs([x], 'raw'),
      });
      await new Promise<void>((resolve, reject) =>
        server.client.stub.modelInfer(request, (error) => (error ? reject(error) : resolve())),
      );
    }
    await expect
      .poll(async () => (await prometheus.query('up{job="model-server"}'))[0]?.value[1], {
        timeout: 30_000,
        interval: 500,
      })
      .toBe('1');
    await expect
      .poll(
        async () =>
          (await prometheus.query('sightline_inference_request_success_total{model="iris",version="1"}'))[0]
            ?.value[1],
        { timeout: 30_000, interval: 500 },
      )
      .toBe('5');
    const info = await prometheus.query('sightline_model_info{model="iris"}');
    expect(info[0]?.metric).toMatchObject({
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime-cpu',
      service: 'model-server',
    });
    const p99 = await prometheus.query(
      'histogram_quantile(0.99, sum by (le) (sightline_inference_request_duration_seconds_bucket{model="iris"}))',
    );
    expect(Number(p99[0]?.value[1])).toBeGreaterThan(0);
    const handled = await prometheus.query(
      'grpc_server_handled_total{grpc_method="ModelInfer",grpc_code="OK"}',
    );
    expect(handled[0]?.value[1]).toBe('5');
  });
});
