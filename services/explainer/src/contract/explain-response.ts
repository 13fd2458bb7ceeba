/** The data plane's ExplainOutcome → ExplainResponse (meta with every default filled, rows, usage). */
import { explainerV1 } from '@sightline/contracts';
import type { ExplainOutcome, ExplainUsage, ResolvedTarget } from '../data-plane/explain-types.js';

/** A resolved target as ExplanationMeta.target: kind and address filled, the version that answered. */
export function targetToMessage(target: ResolvedTarget): explainerV1.Target {
  return {
    kind:
      target.kind === 'graph'
        ? explainerV1.TargetKind.TARGET_KIND_GRAPH
        : explainerV1.TargetKind.TARGET_KIND_MODEL,
    address: target.address,
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    outputName: target.outputName,
    targetIndices: [...target.targetIndices],
  };
}

/** Usage in the contract's shape. */
export function usageToMessage(usage: ExplainUsage): explainerV1.Usage {
  return {
    modelCalls: usage.modelCalls,
    rowsEvaluated: BigInt(usage.rowsEvaluated),
    elapsedMs: Math.min(usage.elapsedMs, 0xffffffff),
    complete: usage.complete,
    incompleteReason: usage.incompleteReason,
    cacheHit: usage.cacheHit,
    inputHash: usage.inputHash,
    backend: usage.backend,
  };
}

/** ExplanationMeta of an outcome (scope "local"). */
export function metaToMessage(outcome: ExplainOutcome): explainerV1.ExplanationMeta {
  const { entry } = outcome;
  // The params oneof member is named as the method's: `kernel_shap` → meta.kernelShap.
  const camel = entry.field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  // fromPartial fills what a method's mapping left unset, so the message always encodes.
  return explainerV1.ExplanationMeta.fromPartial({
    name: entry.method.metaName,
    scope: ['local'],
    modelAccess: entry.method.modelAccess,
    target: targetToMessage(outcome.target),
    seed: outcome.seed,
    featureNames: [...outcome.setup.space.featureNames],
    backgroundRows: outcome.backgroundRows,
    [camel]: entry.paramsMessage(outcome.params),
  });
}

/** The ExplainResponse of an outcome. */
export function explainResponseToMessage(outcome: ExplainOutcome): explainerV1.ExplainResponse {
  return {
    meta: metaToMessage(outcome),
    explanations: outcome.rows.map((row) =>
      explainerV1.InstanceExplanation.fromPartial({
        row: row.row,
        ...(row.result === undefined
          ? {}
          : (outcome.entry.resultMessage(
              row.result,
              outcome.setup,
            ) as explainerV1.DeepPartial<explainerV1.InstanceExplanation>)),
        complete: row.complete,
        fractionDone: row.fractionDone,
      }),
    ),
    usage: usageToMessage(outcome.usage),
    eventIds: [...outcome.eventIds],
  };
}
