/** The domain's GlobalOutcome → GlobalExplainResponse (meta with scope "global", groups, usage). */
import { explainerV1 } from '@sightline/contracts';
import type { GlobalOutcome } from '../global/global-types.js';
import { metaToMessage, targetToMessage, usageToMessage } from './explain-response.js';

/** ExplanationMeta of a global run: a local answer's meta (params filled) with scope "global" and the target as asked. */
function globalMeta(outcome: GlobalOutcome): explainerV1.ExplanationMeta {
  const target = targetToMessage({ ...outcome.target, platform: '' });
  if (outcome.sample) {
    const meta = metaToMessage(outcome.sample);
    return {
      ...meta,
      scope: ['global'],
      target: { ...meta.target!, modelVersion: outcome.target.modelVersion },
      backgroundRows: outcome.sample.backgroundRows,
    };
  }
  // No row was explained: what was asked, without the params a local run would have filled.
  return explainerV1.ExplanationMeta.fromPartial({
    name: outcome.entry.method.metaName,
    scope: ['global'],
    modelAccess: outcome.entry.method.modelAccess,
    target,
    seed: outcome.seed,
  });
}

/** The GlobalExplainResponse of an outcome. */
export function globalResponseToMessage(outcome: GlobalOutcome): explainerV1.GlobalExplainResponse {
  const names = outcome.sample?.setup.space.featureNames ?? [];
  return {
    meta: globalMeta(outcome),
    groups: outcome.groups.map((group) => ({
      modelName: group.modelName,
      modelVersion: group.modelVersion,
      rows: BigInt(group.rows),
      outputs: group.columns.map((column) => ({
        targetIndex: column.column,
        features: column.features.map((feature, index) => ({
          index,
          name: names[index] ?? `feature[${index}]`,
          meanAbs: feature.meanAbs,
          mean: feature.mean,
          std: feature.std,
        })),
      })),
      unavailableReason: group.unavailableReason,
    })),
    usage: usageToMessage(outcome.usage),
    eventsMatched: BigInt(outcome.eventsMatched),
  };
}
