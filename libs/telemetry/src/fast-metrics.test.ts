import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from './fast-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

function bodyWithout(text: string, name: string): string {
  return text
    .split('\n')
    .filter((line) => line.includes(name))
    .join('\n');
}

describe('FastHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.double({ min: 0, max: 5, noNaN: true })), {
          maxLength: 50,
        }),
        async (observations) => {
          const fastRegistry = new Registry();
          fastRegistry.setDefaultLabels({ service: 's' });
          const slowRegistry = new Registry();
          slowRegistry.setDefaultLabels({ service: 's' });
          const fast = new FastHistogram({
            name: 'lat_seconds',
            help: 'latency',
            buckets: BUCKETS,
            registers: [fastRegistry],
          });
          const slow = new Histogram({
            name: 'lat_seconds',
            help: 'latency',
            labelNames: ['model'],
            buckets: BUCKETS,
            registers: [slowRegistry],
          });
          for (const [model, value] of observations) {
            fast.child({ model }).observe(value);
            slow.labels({ model }).observe(value);
          }
          // Same series and values; label order within a series is not significant.
          const normalise = (text: string) =>
            bodyWithout(text, 'lat_seconds')
              .split('\n')
              .map((line) =>
                line.replace(
                  /\{([^}]*)\}/,
                  (_m, labels: string) => `{${labels.split(',').sort().join(',')}}`,
                ),
              )
              .sort();
          expect(normalise(await fastRegistry.metrics())).toEqual(normalise(await slowRegistry.metrics()));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('FastCounter', () => {
  it('counts per label set and carries the registry default labels', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 's' });
    const counter = new FastCounter({ name: 'reqs_total', help: 'requests', registers: [registry] });
    const a = counter.child({ model: 'a' });
    a.inc();
    a.inc(2);
    counter.child({ model: 'b' }).inc();
    counter.child({ model: 'a' }).inc();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE reqs_total counter');
    expect(text).toContain('reqs_total{model="a",service="s"} 4');
    expect(text).toContain('reqs_total{model="b",service="s"} 1');
  });
});
