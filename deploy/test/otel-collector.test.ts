/**
 * The OpenTelemetry Collector configuration. No collector binary can be installed here, so
 * this checks what the collector would refuse or silently mis-run: pipelines naming
 * undefined components, memory_limiter not first, the backend endpoint not taken from the
 * environment, and ports that differ from what the services are told.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployPath } from './helpers/paths.js';

interface CollectorConfig {
  receivers: Record<string, { protocols?: Record<string, { endpoint: string }> }>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string }>;
  extensions?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
  };
}

const config = parse(readFileSync(deployPath('otel', 'collector.yaml'), 'utf8')) as CollectorConfig;

describe('otel collector.yaml', () => {
  it('pipelines use only defined receivers, processors, exporters and extensions', () => {
    const pipelines = Object.entries(config.service.pipelines);
    expect(pipelines.map(([name]) => name)).toContain('traces');
    for (const [name, pipeline] of pipelines) {
      for (const r of pipeline.receivers)
        expect(config.receivers, `${name}: receiver ${r}`).toHaveProperty([r]);
      for (const p of pipeline.processors)
        expect(config.processors, `${name}: processor ${p}`).toHaveProperty([p]);
      for (const e of pipeline.exporters)
        expect(config.exporters, `${name}: exporter ${e}`).toHaveProperty([e]);
    }
    for (const x of config.service.extensions ?? [])
      expect(config.extensions, `extension ${x}`).toHaveProperty([x]);
  });

  it('limits memory first and batches last', () => {
    for (const pipeline of Object.values(config.service.pipelines)) {
      expect(pipeline.processors[0]).toBe('memory_limiter');
      expect(pipeline.processors.at(-1)).toBe('batch');
    }
  });

  it('receives OTLP over gRPC (4317) and HTTP (4318), where the services send it', () => {
    expect(config.receivers.otlp?.protocols?.grpc?.endpoint).toBe('0.0.0.0:4317');
    expect(config.receivers.otlp?.protocols?.http?.endpoint).toBe('0.0.0.0:4318');
  });

  it('exports OTLP to an endpoint taken from the environment', () => {
    const otlp = Object.entries(config.exporters).filter(([name]) => name.split('/')[0] === 'otlp');
    expect(otlp.length).toBeGreaterThan(0);
    for (const [, exporter] of otlp) expect(exporter.endpoint).toMatch(/^\$\{env:[A-Z_]+(:-[^}]+)?\}$/);
  });
});
