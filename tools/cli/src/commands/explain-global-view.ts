/**
 * How `sightline explain global` prints a global explanation (the contract's
 * GlobalExplainResponse): per model version and explained output, every feature's mean
 * |attribution| as a bar (largest first), with its signed mean and standard deviation over the
 * rows explained; a version that could not be explained says why. The command is
 * explain-global.ts; its progress is `followJob` (explain-job.ts).
 */
import type { explainerV1 } from '@sightline/contracts';
import { type Section, text } from '../frame/output.js';
import { formatNumber } from './metrics-view.js';

/** Characters of the longest importance bar. */
export const IMPORTANCE_BAR_WIDTH = 32;

/** A bar of `value` against `scale` (the largest value): at least one block when not 0. */
export function importanceBar(value: number, scale: number, width = IMPORTANCE_BAR_WIDTH): string {
  if (!(scale > 0 && value > 0)) return '';
  return '█'.repeat(Math.max(1, Math.min(width, Math.round((value / scale) * width))));
}

/** The human view: one chart per model version and output. */
export function globalImportanceSections(response: explainerV1.GlobalExplainResponse): Section[] {
  const sections: Section[] = [];
  for (const group of response.groups) {
    const version = `${group.modelName}${group.modelVersion === '' ? '' : ` version ${group.modelVersion}`}`;
    if (group.unavailableReason !== '') {
      sections.push(text(`${version} · not explained: ${group.unavailableReason}`));
      continue;
    }
    for (const output of group.outputs) {
      const features = [...output.features].sort((a, b) => b.meanAbs - a.meanAbs || a.index - b.index);
      const scale = Math.max(0, ...features.map((f) => f.meanAbs));
      const nameWidth = Math.max(0, ...features.map((f) => f.name.length));
      const lines = features.map(
        (f) =>
          `${f.name.padEnd(nameWidth)}  ${formatNumber(f.meanAbs).padStart(9)}  ${importanceBar(f.meanAbs, scale).padEnd(IMPORTANCE_BAR_WIDTH)}  mean ${formatNumber(f.mean)} ± ${formatNumber(f.std)}`,
      );
      sections.push(
        text(
          [
            `${version}, output ${output.targetIndex} · ${Number(group.rows)} rows · mean |attribution|`,
            ...lines,
          ].join('\n'),
        ),
      );
    }
  }
  if (sections.length === 0) sections.push(text('no rows explained (no matching events in the range)'));
  return sections;
}

/** The `--json` document: groups, outputs and per feature `mean_abs`, `mean`, `std`. */
export function globalImportanceJson(response: explainerV1.GlobalExplainResponse) {
  return {
    events_matched: Number(response.eventsMatched),
    groups: response.groups.map((group) => ({
      model: group.modelName,
      model_version: group.modelVersion,
      rows: Number(group.rows),
      ...(group.unavailableReason === '' ? {} : { unavailable_reason: group.unavailableReason }),
      outputs: group.outputs.map((output) => ({
        target_index: output.targetIndex,
        features: output.features.map((f) => ({
          index: f.index,
          feature: f.name,
          mean_abs: f.meanAbs,
          mean: f.mean,
          std: f.std,
        })),
      })),
    })),
  };
}
