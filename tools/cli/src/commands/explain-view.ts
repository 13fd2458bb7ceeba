/**
 * How `sightline explain` prints: per instance row and explained output, the attribution of
 * each feature as a signed bar (sorted by |value|, bars scaled to the largest |value|, left of
 * the axis when negative), with the prediction, the expected value and the additivity error;
 * an anchor as its rule with precision and coverage; counterfactuals as their changes,
 * distance and sparsity; and the work done. `explanationJson` is the `--json` document, with
 * snake_case names as the contract and Alibi write them. Pure: results in, sections out.
 */
import type { Explanation, OutputAttributions, RowExplanation } from '@sightline/sdk';
import { fields, type Section, table, text } from '../frame/output.js';
import { formatNumber } from './metrics-view.js';

/** Characters on each side of a bar chart's axis. */
export const BAR_WIDTH = 24;

/**
 * A signed bar of `value` against `scale` (the largest |value|): `BAR_WIDTH` characters left of
 * the axis `│` and `BAR_WIDTH` right of it, the bar on the side of the sign, at least one block
 * for any value that is not 0.
 */
export function signedBar(value: number, scale: number, width = BAR_WIDTH): string {
  const length =
    scale > 0 && Number.isFinite(value) && value !== 0
      ? Math.max(1, Math.min(width, Math.round((Math.abs(value) / scale) * width)))
      : 0;
  const bar = '█'.repeat(length);
  return value < 0
    ? `${bar.padStart(width)}│${' '.repeat(width)}`
    : `${' '.repeat(width)}│${bar.padEnd(width)}`;
}

const signed = (value: number) => (value > 0 ? `+${formatNumber(value)}` : formatNumber(value));

/** One output's attributions as a bar chart, largest |value| first. */
export function attributionChart(output: OutputAttributions): string[] {
  const features = [...output.features].sort(
    (a, b) => Math.abs(b.value) - Math.abs(a.value) || a.index - b.index,
  );
  const scale = Math.max(0, ...features.map((f) => Math.abs(f.value)).filter(Number.isFinite));
  const labels = features.map((f) => `${f.name} = ${formatNumber(f.featureValue)}`);
  const values = features.map((f) =>
    f.stdError === undefined ? signed(f.value) : `${signed(f.value)} ±${formatNumber(f.stdError)}`,
  );
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const valueWidth = Math.max(0, ...values.map((v) => v.length));
  return features.map(
    (f, i) =>
      `${labels[i]!.padEnd(labelWidth)}  ${values[i]!.padStart(valueWidth)}  ${signedBar(f.value, scale)}`,
  );
}

function outputHeading(row: RowExplanation, output: OutputAttributions): string {
  const parts = [
    `row ${row.row}, output ${output.targetIndex}`,
    `prediction ${formatNumber(output.prediction)}`,
    `expected value ${formatNumber(output.expectedValue)}`,
  ];
  if (output.additivityError !== undefined)
    parts.push(`additivity error ${formatNumber(output.additivityError)}`);
  if (output.coalitions > 0)
    parts.push(output.exact ? `exact (${output.coalitions} coalitions)` : `${output.coalitions} coalitions`);
  if (!row.complete) parts.push(`PARTIAL (${Math.round(row.fractionDone * 100)}% done)`);
  return parts.join(' · ');
}

function attributionSections(row: RowExplanation, outputs: readonly OutputAttributions[]): Section[] {
  return outputs.flatMap((output) => {
    const heading = outputHeading(row, output);
    if (output.heatmap !== undefined && output.features.length === 0) {
      const { height, width, min, max } = output.heatmap;
      return [
        text(`${heading}\nheatmap ${height} × ${width}, from ${formatNumber(min)} to ${formatNumber(max)}`),
      ];
    }
    return [text([heading, ...attributionChart(output)].join('\n'))];
  });
}

/** An anchor's rule as Alibi prints it: `IF a AND b THEN PREDICT c`. */
export function anchorRule(anchor: NonNullable<RowExplanation['anchor']>): string {
  const conditions = anchor.predicates.map((p) => p.text);
  return `IF ${conditions.length === 0 ? '(any row)' : conditions.join(' AND ')} THEN PREDICT ${anchor.prediction}`;
}

function anchorSections(row: RowExplanation, anchor: NonNullable<RowExplanation['anchor']>): Section[] {
  return [
    fields(
      [
        ['anchor', anchorRule(anchor)],
        ['precision', formatNumber(anchor.precision)],
        ['coverage', formatNumber(anchor.coverage)],
        ['precision lower bound', formatNumber(anchor.precisionLowerBound)],
        ['threshold met', anchor.thresholdMet ? 'yes' : 'no'],
        ['samples', Number(anchor.samples)],
        ...(row.complete
          ? []
          : ([['complete', `no (${Math.round(row.fractionDone * 100)}% done)`]] as const)),
      ],
      `row ${row.row}`,
    ),
    table(
      ['predicate', 'precision', 'coverage'],
      anchor.predicates.map((p) => [p.text, formatNumber(p.precision), formatNumber(p.coverage)]),
    ),
  ];
}

function counterfactualSections(
  row: RowExplanation,
  result: NonNullable<RowExplanation['counterfactuals']>,
): Section[] {
  const heading = `row ${row.row}: prediction ${formatNumber(result.originalPrediction)}${
    result.originalProbability === undefined ? '' : ` (p ${formatNumber(result.originalProbability)})`
  }`;
  if (result.found.length === 0)
    return [text(`${heading}\nno counterfactual found${row.complete ? '' : ' within the budget'}`)];
  return [
    text(heading),
    ...result.found.map((found, i) =>
      table(
        ['feature', 'original', 'counterfactual'],
        found.changes.map((change) => [
          change.name,
          formatNumber(change.original),
          formatNumber(change.counterfactual),
        ]),
        `counterfactual ${i + 1}: prediction ${formatNumber(found.prediction)}${
          found.probability === undefined ? '' : ` (p ${formatNumber(found.probability)})`
        } · distance ${formatNumber(found.distance)} · ${found.changedFeatures} feature${found.changedFeatures === 1 ? '' : 's'} changed`,
      ),
    ),
  ];
}

/** The human view of an explanation. */
export function explanationSections(explanation: Explanation): Section[] {
  const { meta, usage } = explanation;
  const sections: Section[] = [
    text(
      `${meta.name} of ${meta.modelName}${meta.modelVersion === '' ? '' : ` version ${meta.modelVersion}`} (seed ${meta.seed}${
        meta.backgroundRows > 0 ? `, ${meta.backgroundRows} background rows` : ''
      })`,
    ),
  ];
  for (const row of explanation.rows) {
    if (row.attributions) sections.push(...attributionSections(row, row.attributions));
    if (row.anchor) sections.push(...anchorSections(row, row.anchor));
    if (row.counterfactuals) sections.push(...counterfactualSections(row, row.counterfactuals));
  }
  sections.push(
    fields([
      ['model calls', usage.modelCalls],
      ['rows evaluated', usage.rowsEvaluated],
      ['elapsed', `${usage.elapsedMs} ms`],
      ['complete', usage.complete ? 'yes' : `no: ${usage.incompleteReason}`],
      ...(usage.cacheHit ? ([['cache', 'hit']] as const) : []),
    ]),
  );
  return sections;
}

function outputJson(output: OutputAttributions, includeHeatmap: boolean) {
  return {
    target_index: output.targetIndex,
    prediction: output.prediction,
    expected_value: output.expectedValue,
    additivity_error: output.additivityError ?? null,
    attributions: output.features.map((f) => ({
      index: f.index,
      feature: f.name,
      value: f.value,
      feature_value: f.featureValue,
      ...(f.stdError === undefined ? {} : { std_error: f.stdError }),
    })),
    coalitions: output.coalitions,
    exact: output.exact,
    ...(output.heatmap === undefined
      ? {}
      : {
          heatmap: {
            height: output.heatmap.height,
            width: output.heatmap.width,
            min: output.heatmap.min,
            max: output.heatmap.max,
            ...(includeHeatmap ? { values: output.heatmap.values } : {}),
          },
        }),
  };
}

function rowJson(row: RowExplanation, includeHeatmap: boolean) {
  const { anchor, counterfactuals } = row;
  return {
    row: row.row,
    complete: row.complete,
    fraction_done: row.fractionDone,
    ...(row.attributions ? { outputs: row.attributions.map((o) => outputJson(o, includeHeatmap)) } : {}),
    ...(anchor
      ? {
          anchor: {
            rule: anchorRule(anchor),
            precision: anchor.precision,
            coverage: anchor.coverage,
            prediction: anchor.prediction,
            threshold_met: anchor.thresholdMet,
            precision_lower_bound: anchor.precisionLowerBound,
            samples: Number(anchor.samples),
            predicates: anchor.predicates.map((p) => ({
              feature_index: p.featureIndex,
              feature: p.featureName,
              text: p.text,
              precision: p.precision,
              coverage: p.coverage,
            })),
          },
        }
      : {}),
    ...(counterfactuals
      ? {
          counterfactuals: {
            original_prediction: counterfactuals.originalPrediction,
            original_probability: counterfactuals.originalProbability ?? null,
            found: counterfactuals.found.map((found) => ({
              values: found.values,
              changes: found.changes.map((c) => ({
                index: c.index,
                feature: c.name,
                original: c.original,
                counterfactual: c.counterfactual,
              })),
              prediction: found.prediction,
              probability: found.probability ?? null,
              distance: found.distance,
              sparsity: found.changedFeatures,
            })),
          },
        }
      : {}),
  };
}

/**
 * The `--json` document: `meta`, `explanations` (per row: `outputs` with `attributions`,
 * `expected_value`, `prediction`, `additivity_error`; or `anchor`; or `counterfactuals`) and
 * `usage`. Heatmap values only when `includeHeatmap` (they can be 50,176 numbers per output).
 */
export function explanationJson(explanation: Explanation, options: { includeHeatmap?: boolean } = {}) {
  const { meta, usage } = explanation;
  return {
    meta: {
      name: meta.name,
      scope: meta.scope,
      model_access: meta.modelAccess,
      model: meta.modelName,
      model_version: meta.modelVersion,
      seed: meta.seed,
      feature_names: meta.featureNames,
      background_rows: meta.backgroundRows,
    },
    explanations: explanation.rows.map((row) => rowJson(row, options.includeHeatmap ?? true)),
    usage: {
      model_calls: usage.modelCalls,
      rows_evaluated: usage.rowsEvaluated,
      elapsed_ms: usage.elapsedMs,
      complete: usage.complete,
      incomplete_reason: usage.incompleteReason,
      cache_hit: usage.cacheHit,
      input_hash: usage.inputHash,
      ...(usage.backend === '' ? {} : { backend: usage.backend }),
    },
    ...(explanation.eventIds.length === 0 ? {} : { event_ids: explanation.eventIds }),
  };
}
