/**
 * The explainer suite's served Kernel SHAP part (issue 13): the same explanation as the
 * in-process part (shap-linear, 10 features, 100 background rows, n_samples 2,048, the same
 * seeded instance and background) asked of a real explainer over gRPC, which calls a real
 * model-server over V2, each in its own process started by the bench. Reported: time per
 * Explain (issue 13's target: < 500 ms on 2 cores) and the V2 calls and rows the explainer
 * reports in Usage, as ratios against the in-process evaluator and exact enumeration of the
 * same run. The cache is bypassed, so every Explain computes.
 */
import { explainerV1 } from '@sightline/contracts';
import { DEFAULT_MAX_ROWS_PER_CALL, FIDELITY_FEATURES, fidelityData } from '@sightline/explainer';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startExplainerProcess } from '../servers/explainer-process.js';
import { startModelServer } from '../servers/model-server-process.js';
import { EXPLAINER_SHAP_BENCH, type ExplainerShapBenchResult } from './explainer-shap-bench.js';

export interface ExplainerServedBenchOptions {
  readonly workspaceRoot: string;
  readonly modelsDir: string;
  readonly group: ChildProcessGroup;
  /** The in-process part of the same run, for the ratios. */
  readonly inProcess: ExplainerShapBenchResult;
  readonly repetitions?: number;
}

/** One served way of explaining, timed. */
export interface ServedShapSide {
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  /** ModelInfer calls and rows the explainer reported (Usage). */
  readonly modelCalls: number;
  readonly rowsEvaluated: number;
  readonly coalitions: number;
  /** Served median / in-process median of the same settings. */
  readonly ratioInProcess: number;
  /** Served median / exact enumeration in process. */
  readonly ratioExact: number;
}

export interface ExplainerServedBenchResult {
  readonly rowsPerCall: number;
  readonly enumerated: ServedShapSide;
  readonly sampled: ServedShapSide;
  /** Shap defaults with budget.max_rows_per_call at the model's max_batch_size ({@link WIDE_ROWS_PER_CALL}). */
  readonly enumeratedWide: ServedShapSide;
}

/** shap-linear's max_batch_size: the widest V2 call it takes. */
export const WIDE_ROWS_PER_CALL = 4096;

export async function runExplainerServedBench(
  options: ExplainerServedBenchOptions,
): Promise<ExplainerServedBenchResult> {
  const b = EXPLAINER_SHAP_BENCH;
  const repetitions = options.repetitions ?? b.repetitions;
  const m = FIDELITY_FEATURES;
  const modelServer = await startModelServer(options.group, {
    workspaceRoot: options.workspaceRoot,
    repository: options.modelsDir,
    models: [b.model],
  });
  const explainer = await startExplainerProcess(options.group, {
    modelServer: modelServer.address,
    repository: options.modelsDir,
    // The service's own default rows per call (--default-max-rows-per-call), as a user gets it.
  });
  try {
    const { instance, background } = fidelityData(b.seed, b.backgroundRows);
    const tensors = (rows: Float64Array, count: number) =>
      encodeTensorMessages([createTensor('input', 'FP32', [count, m], Float32Array.from(rows))], 'raw');
    const request = (enumerateSizes: boolean, round: number, maxRowsPerCall?: number) => ({
      target: { modelName: b.model },
      instances: tensors(instance, 1),
      background: {
        rows: { tensors: tensors(background.rows, b.backgroundRows) },
        reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
      },
      kernelShap: { nSamples: b.coalitions, enumerateSizes },
      seed: BigInt(b.seed + round),
      cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
      ...(maxRowsPerCall === undefined ? {} : { budget: { maxRowsPerCall } }),
    });
    const runs = { enumerated: [] as number[], sampled: [] as number[], enumeratedWide: [] as number[] };
    const last: Partial<Record<keyof typeof runs, explainerV1.ExplainResponse>> = {};
    for (let round = 0; round < b.warmupRepetitions + repetitions; round++) {
      for (const kind of ['enumerated', 'sampled', 'enumeratedWide'] as const) {
        const start = performance.now();
        const response = await explainer.explain(
          request(kind !== 'sampled', round, kind === 'enumeratedWide' ? WIDE_ROWS_PER_CALL : undefined),
        );
        const elapsed = performance.now() - start;
        if (!response.usage?.complete)
          throw new Error(`served ${kind} explanation incomplete: ${response.usage?.incompleteReason}`);
        last[kind] = response;
        if (round >= b.warmupRepetitions) runs[kind].push(elapsed);
      }
    }
    const side = (kind: keyof typeof runs): ServedShapSide => {
      const response = last[kind]!;
      const medianMs = median(runs[kind]);
      return {
        medianMs,
        runsMs: runs[kind],
        modelCalls: response.usage!.modelCalls,
        rowsEvaluated: Number(response.usage!.rowsEvaluated),
        coalitions: response.explanations[0]!.attributions!.outputs[0]!.coalitions,
        ratioInProcess: medianMs / options.inProcess[kind === 'sampled' ? 'sampled' : 'enumerated'].medianMs,
        ratioExact: medianMs / options.inProcess.exact.medianMs,
      };
    };
    return {
      rowsPerCall: DEFAULT_MAX_ROWS_PER_CALL,
      enumerated: side('enumerated'),
      sampled: side('sampled'),
      enumeratedWide: side('enumeratedWide'),
    };
  } finally {
    explainer.close();
    await options.group.stop(explainer.child);
    await options.group.stop(modelServer.child);
  }
}

/** The report lines. */
export function formatExplainerServed(r: ExplainerServedBenchResult): string {
  const runs = (values: readonly number[]) => values.map((t) => t.toFixed(1)).join(', ');
  const side = (name: string, s: ServedShapSide) =>
    `  ${name}: median ${s.medianMs.toFixed(1)} ms, min ${Math.min(...s.runsMs).toFixed(1)} ms (${runs(s.runsMs)}); ` +
    `${s.modelCalls} V2 calls, ${s.rowsEvaluated} rows, ${s.coalitions} coalitions; ` +
    `${s.ratioInProcess.toFixed(2)}x in-process, ${s.ratioExact.toFixed(2)}x exact enumeration`;
  return [
    `Kernel SHAP served: explainer over gRPC -> model-server over V2 (each its own process), ${EXPLAINER_SHAP_BENCH.model}, ` +
      `${EXPLAINER_SHAP_BENCH.backgroundRows} background rows, n_samples ${EXPLAINER_SHAP_BENCH.coalitions}, ` +
      `${r.rowsPerCall} rows per V2 call, cache bypassed:`,
    side('served, shap defaults (sizes enumerated)', r.enumerated),
    side('served, 2,048 sampled draws', r.sampled),
    side(`served, shap defaults, budget.max_rows_per_call ${WIDE_ROWS_PER_CALL}`, r.enumeratedWide),
  ].join('\n');
}

/** Issue 13's target: an explanation through the model-server in under 500 ms. */
export function explainerServedChecks(r: ExplainerServedBenchResult): RatioCheck[] {
  return [
    check(
      'kernel shap served (explainer -> model-server), time per explanation',
      r.enumerated.medianMs,
      'ms',
      '<',
      EXPLAINER_SHAP_BENCH.targetMs,
    ),
  ];
}
