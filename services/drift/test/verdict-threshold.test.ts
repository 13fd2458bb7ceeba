/**
 * DriftData.threshold is the cut-off the verdict used (contract): the effect-size limit
 * under effect_size_alert, the reconstruction error's upper bound for PCA; and the live
 * window's sightline_drift_threshold is the same.
 */
import { driftV1 } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('the threshold the verdict used', () => {
  let drift: TestDrift;

  beforeAll(async () => {
    drift = await startTestDrift();
  });

  afterAll(async () => {
    await drift?.stop();
  });

  it('is the effect-size limit under effect_size_alert, on Predict and on /metrics', async () => {
    await drift.client.createDetector({
      name: 'ks-psi',
      config: {
        ks: {},
        effectSizeAlert: { metric: driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_PSI, threshold: 0.2 },
      },
    });
    await drift.client.fit({ name: 'ks-psi', data: tensorMessages(irisTensor(300, 1)) });
    const predicted = await drift.client.predict({
      name: 'ks-psi',
      data: tensorMessages(irisTensor(100, 2)),
    });
    expect(predicted.data?.verdictOn).toBe('psi');
    expect(predicted.data?.threshold).toBe(0.2);
    await drift.client.attachDetector({
      name: 'ks-psi',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 50, minRows: 5 },
    });
    drift.service.dataPlane.ingest(Array.from({ length: 50 }, (_, i) => irisEvent(i)));
    await drift.service.idle();
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/sightline_drift_threshold\{detector="ks-psi"[^}]*\} 0\.2\n/);
  });

  it("is PCA's distance threshold (the error's upper bound)", async () => {
    await drift.client.createDetector({ name: 'pca', config: { pca: { varianceExplained: 0.6 } } });
    await drift.client.fit({ name: 'pca', data: tensorMessages(irisTensor(400, 1)) });
    const predicted = await drift.client.predict({
      name: 'pca',
      data: tensorMessages(irisTensor(100, 2)),
      returnDistance: true,
    });
    expect(predicted.data?.distanceThreshold).toBeGreaterThan(0);
    expect(predicted.data?.threshold).toBe(predicted.data?.distanceThreshold);
  });
});
