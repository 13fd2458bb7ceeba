import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explainerShapChecks, formatExplainerShap, runExplainerShapBench } from './explainer-shap-bench.js';

const MODELS = fileURLToPath(new URL('../../../../examples/models/', import.meta.url));

describe('explainer shap bench (one repetition)', () => {
  it('times Kernel SHAP and the exact reference on shap-linear, counting model calls, with exact answers', async () => {
    const r = await runExplainerShapBench({ modelsDir: MODELS, repetitions: 1, rowsPerCall: 1000 });
    expect(r.features).toBe(10);
    expect(r.backgroundRows).toBe(100);
    // shap's defaults cover all 1,022 coalitions of 10 features: instance + background + 1,022 × 100 rows.
    expect(r.enumerated.coalitions).toBe(1022);
    expect(r.enumerated.rows).toBe(1 + 100 + 1022 * 100);
    expect(r.exact.rows).toBe(1 + 100 + 1024 * 100);
    expect(r.enumerated.calls).toBeGreaterThanOrEqual(Math.ceil(r.enumerated.rows / 1000));
    // shap-linear is linear: enumerated and sampled Kernel SHAP are both exact up to rounding.
    expect(r.enumerated.maxErrorVsExact).toBeLessThan(1e-6);
    expect(r.sampled.maxErrorVsExact).toBeLessThan(1e-6);
    expect(r.enumerated.runsMs).toHaveLength(1);
    expect(explainerShapChecks(r)[0]!.value).toBe(r.enumerated.medianMs);
    expect(formatExplainerShap(r)).toContain('exact interventional Shapley');
  });
});
