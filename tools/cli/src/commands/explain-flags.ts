/**
 * The flags of `sightline explain` read into the SDK's explain input: the method and its
 * settings (`--samples` for Kernel SHAP's coalitions, `--threshold` for Anchors, `--steps` for
 * Integrated Gradients, `--window`/`--stride`/`--superpixels` for occlusion), the seed, the
 * time budget and the output columns. A setting given to a method that has no such setting
 * is a usage error rather than silently ignored. Ranges are the contract's
 * (proto/sightline/explainer/v1/explainer.proto); the service checks them again.
 */
import { explainerV1 } from '@sightline/contracts';
import type { ExplainMethod } from '@sightline/sdk';
import { UsageError } from '../frame/usage-error.js';

/** The methods, as the command line names them. */
export const EXPLAIN_METHODS = [
  'kernel-shap',
  'anchors',
  'counterfactual',
  'integrated-gradients',
  'occlusion',
] as const;
export type ExplainMethodName = (typeof EXPLAIN_METHODS)[number];

/** Image methods: they take `--image` and answer heatmaps. */
export const IMAGE_METHODS: ReadonlySet<ExplainMethodName> = new Set(['integrated-gradients', 'occlusion']);

/** The method flags as commander hands them over. */
export interface MethodFlags {
  readonly method: ExplainMethodName;
  readonly samples?: string;
  readonly threshold?: string;
  readonly steps?: string;
  readonly window?: string;
  readonly stride?: string;
  readonly superpixels?: string;
  readonly seed?: string;
  readonly budgetMs?: string;
  readonly targetIndex?: readonly string[];
}

/** Which method each setting belongs to (the flag, as typed). */
const SETTING_METHODS: Readonly<Record<string, readonly ExplainMethodName[]>> = {
  samples: ['kernel-shap'],
  threshold: ['anchors'],
  steps: ['integrated-gradients'],
  window: ['occlusion'],
  stride: ['occlusion'],
  superpixels: ['occlusion'],
};

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * An integer flag within [min, max].
 * @throws UsageError naming the flag and the range.
 */
export function parseIntegerFlag(text: string, flag: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new UsageError(
      `${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Parses `--target-index` values (repeatable, or comma-separated) into column indices. */
export function parseTargetIndices(values: readonly string[] | undefined): number[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values
    .flatMap((value) => value.split(','))
    .map((part) => parseIntegerFlag(part, '--target-index', 0, 2 ** 32 - 1));
}

/**
 * The method and its settings from the flags.
 * @throws UsageError for a setting the method does not have, or a value out of its range.
 */
export function methodOf(flags: MethodFlags): ExplainMethod {
  for (const [key, methods] of Object.entries(SETTING_METHODS)) {
    if (flags[key as keyof MethodFlags] !== undefined && !methods.includes(flags.method)) {
      throw new UsageError(
        `${flagName(key)}: only for --method ${methods.join(' or ')}, not ${flags.method}`,
      );
    }
  }
  switch (flags.method) {
    case 'kernel-shap':
      return {
        kernelShap:
          flags.samples === undefined
            ? {}
            : { nSamples: parseIntegerFlag(flags.samples, '--samples', 1, 100_000) },
      };
    case 'anchors': {
      if (flags.threshold === undefined) return { anchors: {} };
      const threshold = Number(flags.threshold);
      if (!(threshold > 0 && threshold <= 1))
        throw new UsageError(
          `--threshold: expected a precision above 0 and at most 1, got ${JSON.stringify(flags.threshold)}`,
        );
      return { anchors: { threshold } };
    }
    case 'counterfactual':
      return { counterfactual: {} };
    case 'integrated-gradients':
      return {
        integratedGradients:
          flags.steps === undefined ? {} : { nSteps: parseIntegerFlag(flags.steps, '--steps', 1, 10_000) },
      };
    case 'occlusion': {
      if (flags.superpixels !== undefined && (flags.window !== undefined || flags.stride !== undefined))
        throw new UsageError('--superpixels: masks SLIC segments, so --window and --stride do not apply');
      if (flags.superpixels !== undefined)
        return {
          occlusion: {
            masking: explainerV1.Masking.MASKING_SUPERPIXELS,
            segments: parseIntegerFlag(flags.superpixels, '--superpixels', 2, 1000),
          },
        };
      return {
        occlusion: {
          ...(flags.window === undefined
            ? {}
            : { window: parseIntegerFlag(flags.window, '--window', 1, 2 ** 32 - 1) }),
          ...(flags.stride === undefined
            ? {}
            : { stride: parseIntegerFlag(flags.stride, '--stride', 1, 2 ** 32 - 1) }),
        },
      };
    }
  }
}

/** The seed, the time budget and the output columns of the flags. */
export function runSettingsOf(flags: MethodFlags): {
  seed?: number;
  budget?: { timeoutMs: number };
  targetIndices?: number[];
} {
  const targetIndices = parseTargetIndices(flags.targetIndex);
  return {
    ...(flags.seed === undefined
      ? {}
      : { seed: parseIntegerFlag(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) }),
    ...(flags.budgetMs === undefined
      ? {}
      : { budget: { timeoutMs: parseIntegerFlag(flags.budgetMs, '--budget-ms', 1, 86_400_000) } }),
    ...(targetIndices === undefined ? {} : { targetIndices }),
  };
}
