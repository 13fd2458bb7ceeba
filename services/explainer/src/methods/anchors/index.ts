/**
 * Anchors for tabular data (Alibi's AnchorTabular): the predicates on an instance's
 * discretised features that fix its prediction with high precision, found by beam search
 * with the KL-LUCB bandit over perturbed rows drawn from the background.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { LocalMethod, MethodContext, RowOutcome, WeightedRows } from '../method.js';
import { AnchorSearch } from './anchor-search.js';
import type { AnchorResult, AnchorsParams } from './anchors-types.js';
import { codeOf, type DiscreteBackground, discretiseBackground } from './discrete-background.js';
import { TabularSampler } from './tabular-sampler.js';

export * from './anchors-types.js';
export { pythonFixed } from './python-fixed.js';

/**
 * Anchors over the context's background. The discretised background is kept per background
 * object and settings, so a request's rows share one discretisation (sorting every numeric
 * column once) instead of one per row; it goes when the background does.
 */
export function createAnchors(): LocalMethod<AnchorsParams, AnchorResult> {
  const fitted = new WeakMap<WeightedRows, Map<string, DiscreteBackground>>();
  const discretised = (context: MethodContext, background: WeightedRows, params: AnchorsParams) => {
    const categorical = [...context.space.categorical].map(([f, names]) => `${f}:${names.length}`).join(',');
    const key = `${params.discPerc.join(',')}|${categorical}`;
    let byKey = fitted.get(background);
    if (byKey === undefined) {
      byKey = new Map();
      fitted.set(background, byKey);
    }
    let found = byKey.get(key);
    if (found === undefined) {
      found = discretiseBackground(background, context.space, params.discPerc);
      byKey.set(key, found);
    }
    return found;
  };
  return {
    metaName: 'AnchorTabular',
    modelAccess: 'black-box',
    async explainRow(instance, params, context): Promise<RowOutcome<AnchorResult>> {
      const background = context.background;
      if (background === undefined) {
        throw new InvalidArgumentError(
          'background: Anchors draws its perturbed rows from a background (rule "background.set")',
        );
      }
      const { featureCount } = context.evaluator;
      if (instance.length !== featureCount || background.featureCount !== featureCount) {
        throw new InvalidArgumentError(
          `instances: expected ${featureCount} features per row, got ${instance.length} (background ${background.featureCount})`,
        );
      }
      const discrete = discretised(context, background, params);
      const instanceCodes = new Int32Array(featureCount);
      for (let f = 0; f < featureCount; f++) {
        const value = instance[f]!;
        const coding = discrete.codings[f]!;
        const name = context.space.featureNames[f] ?? `feature ${f}`;
        if (!Number.isFinite(value))
          throw new InvalidArgumentError(`instance feature "${name}": must be finite, got ${value}`);
        if (coding.kind === 'categorical' && codeOf(value, coding) === coding.names.length) {
          throw new InvalidArgumentError(
            `instance feature "${name}": a categorical value must be a category index 0-${coding.names.length - 1}, got ${value}`,
          );
        }
        instanceCodes[f] = codeOf(value, coding);
      }
      const sampler = new TabularSampler(discrete, instance, instanceCodes);
      return new AnchorSearch(instance, instanceCodes, params, context, discrete, sampler).run();
    },
  };
}

/** Anchors (Alibi's AnchorTabular), black box. */
export const anchors: LocalMethod<AnchorsParams, AnchorResult> = createAnchors();
