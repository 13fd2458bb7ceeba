/** The explainer's answers in plain types (numbers, not bigints; states and kinds as strings). */
import { explainerV1 } from '@sightline/contracts';

/** One feature's attribution. */
export interface FeatureAttribution {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  /** The feature's value in the instance. */
  readonly featureValue: number;
  /** Kernel SHAP with sampled coalitions: the attribution's standard error. */
  readonly stdError?: number;
}

/** The attributions of one output column. */
export interface OutputAttributions {
  readonly targetIndex: number;
  readonly prediction: number;
  readonly expectedValue: number;
  readonly features: readonly FeatureAttribution[];
  /** Sum of attributions − (prediction − expected value); unset for occlusion. */
  readonly additivityError?: number;
  readonly coalitions: number;
  readonly exact: boolean;
  readonly heatmap?: explainerV1.Heatmap;
}

/** The explanation of one instance row. */
export interface RowExplanation {
  readonly row: number;
  /** Kernel SHAP, Integrated Gradients, occlusion. */
  readonly attributions?: readonly OutputAttributions[];
  /** Anchors (the contract's message). */
  readonly anchor?: explainerV1.Anchor;
  /** Counterfactuals (the contract's message). */
  readonly counterfactuals?: explainerV1.Counterfactuals;
  readonly complete: boolean;
  readonly fractionDone: number;
}

/** The work an explanation did. */
export interface ExplanationUsage {
  readonly modelCalls: number;
  readonly rowsEvaluated: number;
  readonly elapsedMs: number;
  readonly complete: boolean;
  readonly incompleteReason: string;
  readonly cacheHit: boolean;
  readonly inputHash: string;
  readonly backend: string;
}

/** What was run. */
export interface ExplanationMeta {
  /** As Alibi names the explainer ("KernelShap", "AnchorTabular", ...). */
  readonly name: string;
  readonly scope: readonly string[];
  readonly modelAccess: string;
  readonly modelName: string;
  /** The version that answered. */
  readonly modelVersion: string;
  readonly address: string;
  readonly seed: number;
  readonly featureNames: readonly string[];
  readonly backgroundRows: number;
  /** The method's settings with every default filled (the contract's ExplanationMeta). */
  readonly message: explainerV1.ExplanationMeta;
}

/** An explanation. */
export interface Explanation {
  readonly meta: ExplanationMeta;
  readonly rows: readonly RowExplanation[];
  readonly usage: ExplanationUsage;
  readonly eventIds: readonly string[];
}

/** A job's state. */
export type ExplanationJobState = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** A submitted explanation. */
export interface ExplanationJob {
  readonly id: string;
  readonly state: ExplanationJobState;
  readonly progress: {
    readonly fraction: number;
    readonly done: number;
    readonly total: number;
    readonly unit: string;
    readonly remainingMs?: number;
    readonly usage?: ExplanationUsage;
  };
  readonly createTime?: Date;
  readonly startTime?: Date;
  readonly endTime?: Date;
  /** For failed: the gRPC status code and its sentence. */
  readonly error?: { readonly code: number; readonly message: string };
  /** Final when succeeded or partial; partial while running or after a cancel; absent in lists. */
  readonly result?: Explanation;
  readonly idempotencyKey: string;
}

const STATES: Readonly<Record<number, ExplanationJobState>> = {
  [explainerV1.JobState.JOB_STATE_QUEUED]: 'queued',
  [explainerV1.JobState.JOB_STATE_RUNNING]: 'running',
  [explainerV1.JobState.JOB_STATE_SUCCEEDED]: 'succeeded',
  [explainerV1.JobState.JOB_STATE_PARTIAL]: 'partial',
  [explainerV1.JobState.JOB_STATE_FAILED]: 'failed',
  [explainerV1.JobState.JOB_STATE_CANCELLED]: 'cancelled',
};

/** A state's enum number (for list filters). */
export function jobStateNumber(state: ExplanationJobState): explainerV1.JobState {
  const entry = Object.entries(STATES).find(([, name]) => name === state);
  return Number(entry?.[0] ?? 0) as explainerV1.JobState;
}

export function usageOf(usage: explainerV1.Usage | undefined): ExplanationUsage {
  return {
    modelCalls: usage?.modelCalls ?? 0,
    rowsEvaluated: Number(usage?.rowsEvaluated ?? 0n),
    elapsedMs: usage?.elapsedMs ?? 0,
    complete: usage?.complete ?? false,
    incompleteReason: usage?.incompleteReason ?? '',
    cacheHit: usage?.cacheHit ?? false,
    inputHash: usage?.inputHash ?? '',
    backend: usage?.backend ?? '',
  };
}

export function explanationOf(response: explainerV1.ExplainResponse): Explanation {
  const meta = response.meta ?? explainerV1.ExplanationMeta.fromPartial({});
  return {
    meta: {
      name: meta.name,
      scope: meta.scope,
      modelAccess: meta.modelAccess,
      modelName: meta.target?.modelName ?? '',
      modelVersion: meta.target?.modelVersion ?? '',
      address: meta.target?.address ?? '',
      seed: Number(meta.seed),
      featureNames: meta.featureNames,
      backgroundRows: meta.backgroundRows,
      message: meta,
    },
    rows: response.explanations.map((e) => ({
      row: e.row,
      ...(e.attributions
        ? {
            attributions: e.attributions.outputs.map((o) => ({
              targetIndex: o.targetIndex,
              prediction: o.prediction,
              expectedValue: o.expectedValue,
              features: o.features.map((f) => ({
                index: f.index,
                name: f.name,
                value: f.value,
                featureValue: f.featureValue,
                ...(f.stdError === undefined ? {} : { stdError: f.stdError }),
              })),
              ...(o.additivityError === undefined ? {} : { additivityError: o.additivityError }),
              coalitions: o.coalitions,
              exact: o.exact,
              ...(o.heatmap ? { heatmap: o.heatmap } : {}),
            })),
          }
        : {}),
      ...(e.anchor ? { anchor: e.anchor } : {}),
      ...(e.counterfactuals ? { counterfactuals: e.counterfactuals } : {}),
      complete: e.complete,
      fractionDone: e.fractionDone,
    })),
    usage: usageOf(response.usage),
    eventIds: response.eventIds,
  };
}

export function jobOf(job: explainerV1.ExplanationJob | undefined): ExplanationJob {
  const j = job ?? explainerV1.ExplanationJob.fromPartial({});
  const progress = j.progress;
  return {
    id: j.id,
    state: STATES[j.state] ?? 'queued',
    progress: {
      fraction: progress?.fraction ?? 0,
      done: Number(progress?.done ?? 0n),
      total: Number(progress?.total ?? 0n),
      unit: progress?.unit ?? '',
      ...(progress?.remainingMs === undefined ? {} : { remainingMs: progress.remainingMs }),
      ...(progress?.usage ? { usage: usageOf(progress.usage) } : {}),
    },
    ...(j.createTime ? { createTime: j.createTime } : {}),
    ...(j.startTime ? { startTime: j.startTime } : {}),
    ...(j.endTime ? { endTime: j.endTime } : {}),
    ...(j.error ? { error: { code: j.error.code, message: j.error.message } } : {}),
    ...(j.local ? { result: explanationOf(j.local) } : {}),
    idempotencyKey: j.idempotencyKey,
  };
}
