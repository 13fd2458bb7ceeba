import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { timeOnnxModel } from './onnx-timing.js';

const IRIS_MODEL = fileURLToPath(new URL('../../../examples/models/iris/1/model.onnx', import.meta.url));

describe('timeOnnxModel', () => {
  it('times each batch size with at least the asked runs', async () => {
    const timings = await timeOnnxModel(IRIS_MODEL, {
      batchSizes: [1, 8],
      warmupRuns: 1,
      minRuns: 3,
      minDurationMs: 0,
    });
    expect(timings.map((t) => t.batchSize)).toEqual([1, 8]);
    for (const t of timings) {
      expect(t.runs).toBeGreaterThanOrEqual(3);
      expect(t.medianMsPerRun).toBeGreaterThan(0);
      expect(t.medianMsPerRow).toBeCloseTo(t.medianMsPerRun / t.batchSize, 9);
    }
  });

  it('refuses a model file that does not exist', async () => {
    await expect(timeOnnxModel('/nonexistent/model.onnx', { batchSizes: [1] })).rejects.toThrow();
  });
});
