/**
 * The flags of `sightline drift ...` turned into the SDK's options: a detector's settings
 * (`--kind`, `--p-val`, ...), an event selector (`--model`, `--tensor`, `--columns`, ...)
 * and a window (`--max-rows`, `--max-duration`, `--sliding`, ...). Every mistake is a
 * UsageError naming the flag, found before any call.
 */

import { InvalidArgumentError, isSightlineError } from '@sightline/errors';
import {
  DRIFT_KINDS,
  type DriftDetectorSettings,
  type DriftEventSelector,
  type DriftKind,
  type DriftWindowOptions,
  SETTINGS_OF_KIND,
} from '@sightline/sdk';
import { type Command, Option } from 'commander';
import { parseDurationMs } from '../frame/duration.js';
import { UsageError } from '../frame/usage-error.js';

/** `drift fit`'s settings flags, as commander hands them over. */
export interface SettingsFlags {
  readonly kind?: string;
  readonly pVal?: string;
  readonly correction?: string;
  readonly permutations?: string;
  readonly seed?: string;
  readonly method?: string;
  readonly ert?: string;
  readonly windowSize?: string;
  readonly bootstraps?: string;
}

/** The flag of each setting, for messages. */
export const FLAG_OF_SETTING: Readonly<Record<string, string>> = {
  pVal: '--p-val',
  correction: '--correction',
  permutations: '--permutations',
  seed: '--seed',
  method: '--method',
  ert: '--ert',
  windowSize: '--window-size',
  windowSizes: '--window-size',
  bootstraps: '--bootstraps',
};

/** The flag of each online config field the service names in a refusal. */
const FLAG_OF_ONLINE_FIELD: Readonly<Record<string, string>> = {
  n_bootstraps: '--bootstraps',
  window_sizes: '--window-size',
  window_size: '--window-size',
  ert: '--ert',
};

/**
 * A refusal of `drift fit` with the flag that set the field the service names: a refusal at
 * Fit (too few bootstraps for the quantile, a window against the reference's rows) can only be
 * found by the service, which names the contract field (`config.mmd_online.n_bootstraps`).
 */
export function namingFlag(error: unknown): unknown {
  if (!isSightlineError(error) || error.code !== 'INVALID_ARGUMENT') return error;
  const field = /^config\.(?:mmd|cvm)_online\.(\w+):/.exec(error.message)?.[1];
  const flag = field === undefined ? undefined : FLAG_OF_ONLINE_FIELD[field];
  if (flag === undefined) return error;
  return new InvalidArgumentError(`${flag}: ${error.message}`, { cause: error, field: flag });
}

const MAX_UINT32 = 4_294_967_295;
/** Most bootstrap simulations the drift service takes for an online detector. */
const MAX_ONLINE_BOOTSTRAPS = 1_000_000;

/**
 * A whole-number flag in [min, max].
 *
 * @throws UsageError naming the flag.
 */
export function wholeFlag(value: string, flag: string, min = 1, max = MAX_UINT32): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      `${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** A comma-separated list flag (`a,b,c`); empty items are refused. */
export function listFlag(value: string, flag: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new UsageError(`${flag}: expected names separated by commas, got ${JSON.stringify(value)}`);
  }
  return items;
}

function probability(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number > 0 && number < 1)) {
    throw new UsageError(
      `${flag}: expected a number between 0 and 1 (exclusive), got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/**
 * A number above 0 (`--ert`).
 *
 * @throws UsageError naming the flag.
 */
export function positive(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number > 0) || !Number.isFinite(number)) {
    throw new UsageError(`${flag}: expected a positive number, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** The kind `--kind` names (tabular when absent). */
export function kindFlag(value: string | undefined): DriftKind {
  if (value === undefined) return 'tabular';
  if (!(DRIFT_KINDS as readonly string[]).includes(value)) {
    throw new UsageError(`--kind: expected one of ${DRIFT_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as DriftKind;
}

/**
 * The settings the flags give (only those given, so the service's defaults fill the rest);
 * `kind` is set only when `--kind` is. Check them against a kind with {@link checkSettingsForKind}.
 *
 * @throws UsageError for a malformed value, naming the flag.
 */
export function settingsFromFlags(flags: SettingsFlags): DriftDetectorSettings {
  const settings: Record<string, unknown> = {};
  if (flags.kind !== undefined) settings.kind = kindFlag(flags.kind);
  if (flags.pVal !== undefined) settings.pVal = probability(flags.pVal, '--p-val');
  if (flags.correction !== undefined) settings.correction = flags.correction;
  if (flags.permutations !== undefined)
    settings.permutations = wholeFlag(flags.permutations, '--permutations', 10, 100_000);
  if (flags.seed !== undefined) {
    if (!/^\d+$/.test(flags.seed) || BigInt(flags.seed) >= 2n ** 64n) {
      throw new UsageError(
        `--seed: expected a whole number from 0 to 2^64-1, got ${JSON.stringify(flags.seed)}`,
      );
    }
    settings.seed = BigInt(flags.seed);
  }
  if (flags.method !== undefined) settings.method = flags.method;
  if (flags.ert !== undefined) settings.ert = positive(flags.ert, '--ert');
  if (flags.bootstraps !== undefined)
    settings.bootstraps = wholeFlag(flags.bootstraps, '--bootstraps', 1, MAX_ONLINE_BOOTSTRAPS);
  if (flags.windowSize !== undefined) {
    settings.windowSizes = listFlag(flags.windowSize, '--window-size').map((size) =>
      wholeFlag(size, '--window-size'),
    );
  }
  return settings as DriftDetectorSettings;
}

/**
 * `settings` for `kind`: `kind` set, and `--window-size` as online-mmd's one size or
 * online-cvm's list.
 *
 * @throws UsageError for a flag the kind has no setting for, naming the kinds that have it.
 */
export function checkSettingsForKind(
  settings: DriftDetectorSettings,
  kind: DriftKind,
): DriftDetectorSettings {
  const resolved: Record<string, unknown> = { ...settings, kind };
  if (settings.windowSizes !== undefined && kind !== 'online-cvm') {
    if (kind === 'online-mmd' && settings.windowSizes.length !== 1) {
      throw new UsageError(
        `--window-size: kind online-mmd takes one window size, got ${settings.windowSizes.length}`,
      );
    }
    delete resolved.windowSizes;
    resolved.windowSize = settings.windowSizes[0];
  }
  const allowed = SETTINGS_OF_KIND[kind] as readonly string[];
  for (const key of Object.keys(resolved)) {
    if (key === 'kind' || allowed.includes(key)) continue;
    const owners = DRIFT_KINDS.filter((k) => (SETTINGS_OF_KIND[k] as readonly string[]).includes(key));
    throw new UsageError(
      `${FLAG_OF_SETTING[key] ?? key}: applies to --kind ${owners.join('|')}, not ${kind}`,
    );
  }
  return resolved as DriftDetectorSettings;
}

/**
 * The settings given on the command line that differ from a detector's (after the service
 * filled in its defaults); each as `flag`, given and saved values.
 */
export function settingsConflicts(
  given: DriftDetectorSettings,
  saved: DriftDetectorSettings,
): { flag: string; given: string; saved: string }[] {
  const conflicts: { flag: string; given: string; saved: string }[] = [];
  for (const [key, value] of Object.entries(given)) {
    const current = (saved as Record<string, unknown>)[key];
    if (key === 'kind' || String(value) === String(current)) continue;
    conflicts.push({
      flag: FLAG_OF_SETTING[key] ?? key,
      given: String(value),
      saved: current === undefined ? 'unset' : String(current),
    });
  }
  return conflicts;
}

/** The selector flags of `attach` and `run`. */
export interface SelectorFlags {
  readonly model?: string;
  readonly version?: string;
  readonly graph?: string;
  readonly tensor?: string;
  readonly columns?: string;
  readonly side?: string;
}

/**
 * Adds the selector flags (--version, --graph, the tensors flag, --columns, --side) to
 * `command`: drift names the tensors flag `--tensor`, outlier `--tensors`; `columnsHint`
 * ends the --columns help.
 */
export function addSelectorFlags(
  command: Command,
  tensorsFlag: '--tensor' | '--tensors',
  columnsHint: string,
): Command {
  return command
    .option('--version <version>', 'only this model version (default: every version)')
    .option('--graph <graph>', "only this graph's events; with --model, that node's calls")
    .option(`${tensorsFlag} <names>`, 'the tensors read, comma-separated, in order (default: every tensor)')
    .option(
      '--columns <names>',
      `feature names, one per element of a flattened row, comma-separated (${columnsHint})`,
    )
    .addOption(
      new Option('--side <side>', "read the request's inputs or the response's outputs").choices([
        'request',
        'response',
      ]),
    );
}

/**
 * The event selector the flags give.
 *
 * @throws UsageError when `--model` is missing.
 */
export function selectorFromFlags(flags: SelectorFlags): DriftEventSelector {
  if (flags.model === undefined || flags.model.trim() === '') {
    throw new UsageError('--model: required (the model, or graph, whose events are read)');
  }
  return {
    modelName: flags.model,
    ...(flags.version !== undefined && { modelVersion: flags.version }),
    ...(flags.graph !== undefined && { graph: flags.graph }),
    ...(flags.side !== undefined && { side: flags.side as 'request' | 'response' }),
    ...(flags.tensor !== undefined && { tensors: listFlag(flags.tensor, '--tensor') }),
    ...(flags.columns !== undefined && { columnNames: listFlag(flags.columns, '--columns') }),
  };
}

/** The window flags of `attach` and `run`. */
export interface WindowFlags {
  readonly maxRows?: string;
  readonly maxDuration?: string;
  readonly minRows?: string;
  readonly sliding?: boolean;
  readonly slideRows?: string;
  readonly exactRows?: string;
  readonly aligned?: boolean;
}

/**
 * The window the flags give; undefined when none is given (the service's defaults, or the
 * detector's live window).
 *
 * @throws UsageError naming the flag; `--slide-rows` without `--sliding`.
 */
export function windowFromFlags(flags: WindowFlags): DriftWindowOptions | undefined {
  if (flags.slideRows !== undefined && flags.sliding !== true) {
    throw new UsageError('--slide-rows: only with --sliding');
  }
  const window: DriftWindowOptions = {
    ...(flags.maxRows !== undefined && { maxRows: wholeFlag(flags.maxRows, '--max-rows') }),
    ...(flags.maxDuration !== undefined && {
      maxDurationMs: parseDurationMs(flags.maxDuration, '--max-duration'),
    }),
    ...(flags.minRows !== undefined && { minRows: wholeFlag(flags.minRows, '--min-rows') }),
    ...(flags.sliding === true && { mode: 'sliding' as const }),
    ...(flags.slideRows !== undefined && { slideRows: wholeFlag(flags.slideRows, '--slide-rows') }),
    ...(flags.exactRows !== undefined && { exactRows: wholeFlag(flags.exactRows, '--exact-rows') }),
    ...(flags.aligned === true && { aligned: true }),
  };
  return Object.keys(window).length === 0 ? undefined : window;
}

const SPAN_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const SPAN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/**
 * A trailing reference's span (`--trailing 7d`, `--length 1h`, `--refit-every 30m`) in
 * whole ms: a number with a unit of ms, s, m, h, d or w; `0` alone where `zero` allows it.
 *
 * @throws UsageError naming the flag for anything else.
 */
export function parseSpanMs(text: string, flag: string, zero = false): number {
  const trimmed = text.trim();
  if (zero && trimmed === '0') return 0;
  const match = SPAN.exec(trimmed);
  const ms = match ? Math.round(Number(match[1]) * SPAN_UNIT_MS[match[2]!]!) : 0;
  if (!match || ms < 1) {
    throw new UsageError(
      `${flag}: expected a duration with a unit such as 30m, 1h or 7d${zero ? ' (or 0)' : ''}, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}
