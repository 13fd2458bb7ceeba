/**
 * A real Prometheus (Debian's `prometheus` package) scrapes a running model-server's
 * /metrics, and the per-model series are queried back through its HTTP API: the metrics
 * are not only printed, they are valid exposition that Prometheus ingests with the labels
 * dashboards and alerts use.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inference } from '@sightline/contracts';
import { createTensor, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/models', import.meta.url));

function prometheusBinary(): string {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    return 'prometheus';
  } catch {
    throw new Error('this test needs Prometheus: apt-get install prometheus (.ci/run installs it)');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<PromResult[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (!response.ok) return [];
  const body = (await response.json()) as { data?: { result?: PromResult[] } };
  return body.data?.result ?? [];
}

describe('Prometheus scraping the model-server', () => {
  let server: InProcessServer;
  let prometheus: ChildProcess;
  let workDir: string;
  let promBase: string;

  beforeAll(async () => {
    const binary = prometheusBinary();
    server = await startInProcessServer(EXAMPLES);
    workDir = await mkdtemp(path.join(tmpdir(), 'sightline-prom-'));
    const config = [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: model-server',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${server.server.httpPort}']`,
      '',
    ].join('\n');
    await writeFile(path.join(workDir, 'prometheus.yml'), config);
    const port = await freePort();
    promBase = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      binary,
      [
        `--config.file=${path.join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
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
      .poll(async () => (await query(promBase, 'up{job="model-server"}'))[0]?.value[1], {
        timeout: 30_000,
        interval: 500,
      })
      .toBe('1');
    await expect
      .poll(
        async () =>
          (await query(promBase, 'sightline_inference_request_success_total{model="iris",version="1"}'))[0]
            ?.value[1],
        { timeout: 30_000, interval: 500 },
      )
      .toBe('5');
    const info = await query(promBase, 'sightline_model_info{model="iris"}');
    expect(info[0]?.metric).toMatchObject({
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime-cpu',
      service: 'model-server',
    });
    const p99 = await query(
      promBase,
      'histogram_quantile(0.99, sum by (le) (sightline_inference_request_duration_seconds_bucket{model="iris"}))',
    );
    expect(Number(p99[0]?.value[1])).toBeGreaterThan(0);
    const handled = await query(
      promBase,
      'grpc_server_handled_total{grpc_method="ModelInfer",grpc_code="OK"}',
    );
    expect(handled[0]?.value[1]).toBe('5');
  });
});
