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

/** One feature's importance over the rows of a global explanation. */
export interface FeatureImportance {
  readonly index: number;
  readonly name: string;
  /** Mean |attribution|. */
  readonly meanAbs: number;
  readonly mean: number;
  /** Population standard deviation over the rows. */
  readonly std: number;
}

/** The aggregated attributions of one model version. */
export interface GlobalGroup {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Rows explained. */
  readonly rows: number;
  readonly outputs: readonly {
    readonly targetIndex: number;
    readonly features: readonly FeatureImportance[];
  }[];
  /** Empty when explained; else why not (e.g. a version the model-server no longer serves). */
  readonly unavailableReason: string;
}

/** A global explanation. */
export interface GlobalExplanation {
  readonly meta: ExplanationMeta;
  /** In model name then version order. */
  readonly groups: readonly GlobalGroup[];
  readonly usage: ExplanationUsage;
  readonly eventsMatched: number;
  /** The contract's message (for printing as the CLI does). */
  readonly message: explainerV1.GlobalExplainResponse;
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
  /** A local job's result: final when succeeded or partial; partial while running or after a cancel; absent in lists. */
  readonly result?: Explanation;
  /** A global job's result, as `result` is for a local one. */
  readonly globalResult?: GlobalExplanation;
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

function metaOf(message: explainerV1.ExplanationMeta | undefined): ExplanationMeta {
  const meta = message ?? explainerV1.ExplanationMeta.fromPartial({});
  return {
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
  };
}

export function globalExplanationOf(response: explainerV1.GlobalExplainResponse): GlobalExplanation {
  return {
    meta: metaOf(response.meta),
    groups: response.groups.map((group) => ({
      modelName: group.modelName,
      modelVersion: group.modelVersion,
      rows: Number(group.rows),
      outputs: group.outputs.map((output) => ({
        targetIndex: output.targetIndex,
        features: output.features.map((f) => ({
          index: f.index,
          name: f.name,
          meanAbs: f.meanAbs,
          mean: f.mean,
          std: f.std,
        })),
      })),
      unavailableReason: group.unavailableReason,
    })),
    usage: usageOf(response.usage),
    eventsMatched: Number(response.eventsMatched),
    message: response,
  };
}

export function explanationOf(response: explainerV1.ExplainResponse): Explanation {
  return {
    meta: metaOf(response.meta),
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
    ...(j.global ? { globalResult: globalExplanationOf(j.global) } : {}),
    idempotencyKey: j.idempotencyKey,
  };
}
