import { seededRandom } from '@sightline/stats';
import type { MethodContext, RowEvaluator, WeightedRows } from '../method.js';
import type { KernelShapParams } from './types.js';

/** Shap's defaults for `featureCount` features, as the contract fills them. */
export function shapDefaults(
  featureCount: number,
  overrides: Partial<KernelShapParams> = {},
): KernelShapParams {
  return {
    nSamples: 2 * featureCount + 2048,
    l1Reg: { kind: 'auto' },
    link: 'identity',
    pairedSampling: true,
    enumerateSizes: true,
    ...overrides,
  };
}

/** A method context over `evaluator` and `background` with a seeded random source; progress goes to `progress`. */
export function testContext(
  evaluator: RowEvaluator,
  background: WeightedRows,
  seed: number,
  progress: (fraction: number) => void = () => {},
): MethodContext {
  return {
    evaluator,
    space: {
      featureCount: evaluator.featureCount,
      featureNames: Array.from({ length: evaluator.featureCount }, (_, j) => `x${j}`),
      categorical: new Map(),
    },
    background,
    random: seededRandom(seed),
    progress,
  };
}
