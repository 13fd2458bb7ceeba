/**
 * The explainer suite's Kernel SHAP part (issue 13): 10 features, 100 background rows, 2,048
 * coalitions, on examples/models/shap-linear run in-process by onnxruntime-node (the
 * model-server's runtime) behind the method's RowEvaluator: the time per explanation and the
 * evaluator calls at a given rows per call, next to the exact-enumeration reference (all 2^10
 * subsets) on the same session in the same run. The Python `shap` package is not installable
 * here (CI has the npm registry and Debian only), so the exact reference is the baseline; the
 * figure through the model-server over V2 is added when the service is integrated.
 *
 * The three explanations alternate within each round, so a busy machine slows them alike.
 * Two Kernel SHAP runs: shap's defaults with n_samples 2,048 (on 10 features that covers all
 * 1,022 coalitions, so sizes are enumerated and the answer is exact, as shap itself would do),
 * and 2,048 sampled draws (enumerate_sizes false), the fidelity test's Monte Carlo setting.
 */
import { join } from 'node:path';
import {
  exactInterventionalShapley,
  FIDELITY_FEATURES,
  fidelityData,
  functionEvaluator,
  type KernelShapParams,
  kernelShap,
} from '@sightline/explainer';
import { seededRandom } from '@sightline/stats';
import ort from 'onnxruntime-node';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';

export const EXPLAINER_SHAP_BENCH = {
  model: 'shap-linear',
  backgroundRows: 100,
  coalitions: 2048,
  /** The service's default rows per V2 call (`--default-max-rows-per-call`). */
  rowsPerCall: 1000,
  repetitions: 9,
  warmupRepetitions: 1,
  seed: 20261204,
  /** Issue 13's target for an explanation through the model-server on 2 cores; in process is its floor. */
  targetMs: 500,
} as const;

export interface ExplainerShapBenchOptions {
  readonly modelsDir: string;
  readonly repetitions?: number;
  readonly rowsPerCall?: number;
}

/** One way of explaining, timed. */
export interface ShapBenchSide {
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  /** Evaluator calls (model calls at rowsPerCall) and batches per explanation. */
  readonly calls: number;
  readonly batches: number;
  readonly rows: number;
  /** Distinct coalitions evaluated (Kernel SHAP). */
  readonly coalitions?: number;
  /** Largest |attribution − exact| over the features. */
  readonly maxErrorVsExact: number;
}

export interface ExplainerShapBenchResult {
  readonly features: number;
  readonly backgroundRows: number;
  readonly rowsPerCall: number;
  readonly enumerated: ShapBenchSide;
  readonly sampled: ShapBenchSide;
  readonly exact: ShapBenchSide;
  /** Kernel SHAP (shap defaults) / exact enumeration, median time. */
  readonly ratioEnumerated: number;
  readonly ratioSampled: number;
}

export async function runExplainerShapBench(
  options: ExplainerShapBenchOptions,
): Promise<ExplainerShapBenchResult> {
  const b = EXPLAINER_SHAP_BENCH;
  const repetitions = options.repetitions ?? b.repetitions;
  const rowsPerCall = options.rowsPerCall ?? b.rowsPerCall;
  const m = FIDELITY_FEATURES;
  const session = await ort.InferenceSession.create(join(options.modelsDir, b.model, '1', 'model.onnx'));
  try {
    const model = async (rows: Float64Array, count: number) => {
      const input = new ort.Tensor('float32', Float32Array.from(rows), [count, m]);
      const { output } = await session.run({ input });
      return Float64Array.from(output!.data as Float32Array);
    };
    const { instance, background } = fidelityData(b.seed, b.backgroundRows);
    const newEvaluator = () => functionEvaluator(model, { featureCount: m, outputCount: 1, rowsPerCall });
    const reference = (await exactInterventionalShapley(newEvaluator(), instance, background))[0]!.values;
    const maxError = (values: Float64Array) =>
      values.reduce((worst, v, j) => Math.max(worst, Math.abs(v - reference[j]!)), 0);

    const base: KernelShapParams = {
      nSamples: b.coalitions,
      l1Reg: { kind: 'auto' },
      link: 'identity',
      pairedSampling: true,
      enumerateSizes: true,
    };
    type Counts = { calls: number; batches: number; rows: number; coalitions?: number; error: number };
    /** One explanation of each kind, timed; the kinds alternate within a round so they share the machine's noise. */
    const kinds: Record<'enumerated' | 'sampled' | 'exact', (round: number) => Promise<Counts>> = {
      enumerated: (round) => explainOnce(base, round),
      sampled: (round) => explainOnce({ ...base, enumerateSizes: false }, round),
      exact: async () => {
        const evaluator = newEvaluator();
        await exactInterventionalShapley(evaluator, instance, background);
        return { calls: evaluator.calls, batches: evaluator.batches, rows: evaluator.rows, error: 0 };
      },
    };
    async function explainOnce(params: KernelShapParams, round: number): Promise<Counts> {
      const evaluator = newEvaluator();
      const context = {
        evaluator,
        space: { featureCount: m, featureNames: [], categorical: new Map() },
        background,
        random: seededRandom(b.seed + round),
        progress: () => {},
      };
      const outcome = await kernelShap.explainRow(instance, params, context);
      const out = outcome.result.outputs[0]!;
      return {
        calls: evaluator.calls,
        batches: evaluator.batches,
        rows: evaluator.rows,
        coalitions: out.coalitions,
        error: maxError(out.values),
      };
    }
    const runs = { enumerated: [] as number[], sampled: [] as number[], exact: [] as number[] };
    const counts: Partial<Record<keyof typeof kinds, Counts>> = {};
    for (let round = 0; round < b.warmupRepetitions + repetitions; round++) {
      for (const kind of ['enumerated', 'sampled', 'exact'] as const) {
        const start = performance.now();
        counts[kind] = await kinds[kind](round);
        const elapsed = performance.now() - start;
        if (round >= b.warmupRepetitions) runs[kind].push(elapsed);
      }
    }
    const side = (kind: keyof typeof kinds): ShapBenchSide => {
      const c = counts[kind]!;
      return {
        medianMs: median(runs[kind]),
        runsMs: runs[kind],
        calls: c.calls,
        batches: c.batches,
        rows: c.rows,
        ...(c.coalitions !== undefined && { coalitions: c.coalitions }),
        maxErrorVsExact: c.error,
      };
    };
    const enumerated = side('enumerated');
    const sampled = side('sampled');
    const exact = side('exact');
    return {
      features: m,
      backgroundRows: b.backgroundRows,
      rowsPerCall,
      enumerated,
      sampled,
      exact,
      ratioEnumerated: enumerated.medianMs / exact.medianMs,
      ratioSampled: sampled.medianMs / exact.medianMs,
    };
  } finally {
    await session.release();
  }
}

/** The report lines. */
export function formatExplainerShap(r: ExplainerShapBenchResult): string {
  const runs = (values: readonly number[]) => values.map((t) => t.toFixed(1)).join(', ');
  const side = (name: string, s: ShapBenchSide) =>
    `  ${name}: median ${s.medianMs.toFixed(1)} ms, min ${Math.min(...s.runsMs).toFixed(1)} ms (${runs(s.runsMs)}); ${s.calls} model calls in ${s.batches} evaluator batches, ${s.rows} rows` +
    (s.coalitions === undefined
      ? ''
      : `, ${s.coalitions} coalitions, max |φ − exact| ${s.maxErrorVsExact.toExponential(1)}`);
  return [
    `Kernel SHAP, ${r.features} features, ${r.backgroundRows} background rows, ${EXPLAINER_SHAP_BENCH.coalitions} coalitions, ` +
      `${EXPLAINER_SHAP_BENCH.model} in-process (onnxruntime-node), ${r.rowsPerCall} rows per model call ` +
      '(Python shap is not installable here: the baseline is exact enumeration in the same run):',
    side('kernel shap, shap defaults (sizes enumerated)', r.enumerated),
    side('kernel shap, 2,048 sampled draws', r.sampled),
    side('exact interventional Shapley, 2^10 subsets', r.exact),
    `  ratio kernel/exact: ${r.ratioEnumerated.toFixed(2)}x (enumerated), ${r.ratioSampled.toFixed(2)}x (sampled)`,
  ].join('\n');
}

/** The in-process floor of issue 13's 500 ms target (the served figure comes at integration). */
export function explainerShapChecks(r: ExplainerShapBenchResult): RatioCheck[] {
  return [
    check(
      'kernel shap in-process, time per explanation (floor of the served target)',
      r.enumerated.medianMs,
      'ms',
      '<',
      EXPLAINER_SHAP_BENCH.targetMs,
    ),
  ];
}
