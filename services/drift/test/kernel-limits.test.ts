/**
 * MMD and LSDD windows must fit the kernels' pooled-row limit with the reference: a larger
 * one is refused at AttachDetector (and ScoreHistory) instead of failing every window; a
 * window whose test fails anyway is counted and logged once per detector.
 */
import { status } from '@grpc/grpc-js';
import { referenceKernels } from '@sightline/detect/testing';
import { memoryLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_MAX_POOLED_ROWS } from '../src/data-plane/drift-data-plane.js';
import { irisEvent } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('kernel limits of the multivariate kinds', () => {
  let drift: TestDrift;
  const memory = memoryLogger('warn');

  beforeAll(async () => {
    drift = await startTestDrift({
      logger: memory.logger,
      kernels: {
        ...referenceKernels,
        lsddPermutationTest: () => {
          throw new Error('lsdd kernel refused the samples');
        },
      },
    });
  });

  afterAll(async () => {
    await drift?.stop();
  });

  it('refuses an MMD window that with the reference exceeds the pooled-row limit', async () => {
    await drift.client.createDetector({ name: 'mmd', config: { mmd: {} } });
    await drift.client.fit({ name: 'mmd', data: tensorMessages(irisTensor(3000, 1)) });
    const selector = { modelName: 'iris', tensors: ['input'] };
    const refused = drift.client.attachDetector({ name: 'mmd', selector, window: { maxRows: 2500 } });
    await expect(refused).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(refused).rejects.toThrow(
      new RegExp(`window.max_rows: 2500.*at most 2000.*${KERNEL_MAX_POOLED_ROWS}`),
    );
    expect((await drift.client.getDetector({ name: 'mmd' })).detector?.attached).toBe(false);
    await drift.client.attachDetector({ name: 'mmd', selector, window: { maxRows: 2000 } });
  });

  it('logs a window dropped as test_failed once per detector', async () => {
    await drift.client.createDetector({ name: 'lsdd', config: { lsdd: {} } });
    await drift.client.fit({ name: 'lsdd', data: tensorMessages(irisTensor(300, 1)) });
    await drift.client.attachDetector({
      name: 'lsdd',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 10, minRows: 5 },
    });
    drift.service.dataPlane.ingest(Array.from({ length: 30 }, (_, i) => irisEvent(i)));
    await drift.service.idle();
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_drift_windows_dropped_total\{detector="lsdd",reason="test_failed"[^}]*\} 3/,
    );
    const logged = memory.lines.filter((line) => line.detector === 'lsdd' && line.reason === 'test_failed');
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.msg)).toMatch(/lsdd kernel refused the samples/);
  });
});
