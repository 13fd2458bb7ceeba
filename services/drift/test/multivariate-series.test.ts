/**
 * The multivariate kinds (MMD, LSDD, PCA) test all features together: a live window exports
 * their features' effect sizes but no per-feature p-value, statistic or drift series (which
 * read as p-value 0, "drifted", on every dashboard).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('multivariate kinds on /metrics', () => {
  let drift: TestDrift;

  beforeAll(async () => {
    drift = await startTestDrift();
  });

  afterAll(async () => {
    await drift?.stop();
  });

  async function closeWindow(name: string, config: Record<string, unknown>): Promise<string> {
    await drift.client.createDetector({ name, config });
    await drift.client.fit({ name, data: tensorMessages(irisTensor(300, 1)) });
    await drift.client.attachDetector({
      name,
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 50, minRows: 5 },
    });
    drift.service.dataPlane.ingest(Array.from({ length: 50 }, (_, i) => irisEvent(i)));
    await drift.service.idle();
    await drift.client.detachDetector({ name });
    expect((await drift.client.listDriftEvents({ name })).events).toHaveLength(1);
    return (await fetch(`${drift.httpBase}/metrics`)).text();
  }

  it('exports effect sizes but no per-feature test series for MMD', async () => {
    const metrics = await closeWindow('mmd', { mmd: { nPermutations: 20, seed: 1n } });
    expect(metrics).toMatch(/sightline_drift_feature_effect_size\{detector="mmd",feature="input\[0\]"/);
    expect(metrics).not.toMatch(/sightline_drift_feature_p_value\{detector="mmd"/);
    expect(metrics).not.toMatch(/sightline_drift_feature_statistic\{detector="mmd"/);
    expect(metrics).not.toMatch(/sightline_drift_feature_drift\{detector="mmd"/);
    expect(metrics).not.toMatch(/test="none"/);
    expect(metrics).toMatch(/sightline_drift_p_value\{detector="mmd"/);
    // A univariate kind still exports them.
    const ks = await closeWindow('ks', { ks: {} });
    expect(ks).toMatch(/sightline_drift_feature_p_value\{detector="ks",feature="input\[0\]",test="ks"/);
  });
});
