import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics.js';

describe('createMetricsRegistry', () => {
  it('builds independent registries that label every metric with the service', async () => {
    const a = createMetricsRegistry({ serviceName: 'a', collectDefaults: false });
    const b = createMetricsRegistry({ serviceName: 'b', collectDefaults: false });
    new Counter({ name: 'things_total', help: 'things', registers: [a] }).inc(2);
    new Counter({ name: 'things_total', help: 'things', registers: [b] }).inc(5);
    expect(await a.metrics()).toContain('things_total{service="a"} 2');
    expect(await b.metrics()).toContain('things_total{service="b"} 5');
  });

  it('collects process metrics by default', async () => {
    const registry = createMetricsRegistry({ serviceName: 'p' });
    expect(await registry.metrics()).toContain('process_cpu_seconds_total');
  });
});
