/**
 * The demo's outcome as the CLI prints it: one section per thing the services saw, each
 * with the command that shows it again.
 */
import { type Cell, fields, type Section, table, text } from '../frame/output.js';
import type { DemoOutcome } from './demo-outcome.js';

const percent = (value: number | undefined) => (value === undefined ? '-' : `${(value * 100).toFixed(1)}%`);
const number = (value: number | undefined, digits = 3) => (value === undefined ? '-' : value.toFixed(digits));

/** The sections of the human view. */
export function demoSections(outcome: DemoOutcome, driftDetector: string): Section[] {
  const sections: Section[] = [];
  const d = outcome.drift;
  const firstRow = (index: number) => index * outcome.windowRows;
  const windowRows: Cell[][] = d.windows.map((w) => [
    w.index,
    `${firstRow(w.index)}-${firstRow(w.index) + w.rows - 1}`,
    w.drift ? 'DRIFT' : 'ok',
    w.pValue === undefined ? '-' : w.pValue.toExponential(2),
  ]);
  sections.push(
    table(
      ['window', 'rows', 'verdict', 'smallest p-value'],
      windowRows,
      `Drift (the shift starts at row ${outcome.driftStart}): first drift in window ${d.firstDriftWindow ?? 'none'}, expected ${d.expectedFirstDriftWindow}  [sightline drift events ${driftDetector}]`,
    ),
  );
  const o = outcome.outliers;
  // No verdict at all (the outlier service down, its soft node skipped): figures over no
  // verdicts would read "recall 0%, precision 100%"; the problem line says why instead.
  if (o.checked > 0)
    sections.push(
      fields(
        [
          ['planted', o.planted.length],
          ['flagged of them (recall)', `${o.flaggedPlanted} (${percent(o.recall)})`],
          ['flagged before the drift', o.flaggedBeforeDrift],
          ['precision before the drift', percent(o.precisionBeforeDrift)],
          ['flagged after the drift', `${o.flaggedAfterDrift} (shifted flowers look unusual too)`],
          ['requests with a verdict', o.checked],
        ],
        "Outliers (the graph's sync detector: sightline.iris-od.is_outlier in each answer)",
      ),
    );
  sections.push(
    table(
      ['phase', 'predictions', 'CBPE before labels', 'labelled', 'accuracy'],
      outcome.metrics.map((m) => [
        m.phase,
        m.predictions,
        percent(m.estimateBeforeLabels),
        m.pairs,
        percent(m.accuracy),
      ]),
      'Accuracy and the label-free estimate (CBPE, read before any label was sent)  [sightline metrics show iris]',
    ),
  );
  if (outcome.shadow) {
    const s = outcome.shadow;
    sections.push(
      fields(
        [
          ['live', `${s.model} version ${s.baselineVersion}: ${percent(s.baselineValue)}`],
          ['shadow', `node ${s.candidateNode} (version ${s.candidateVersion}): ${percent(s.candidateValue)}`],
          [
            'difference',
            `${number(s.difference)} on ${s.pairs} labelled requests, p = ${number(s.pValue, 4)}`,
          ],
          ['verdict', s.verdict],
        ],
        `Shadow against live (${s.metric})  [sightline metrics compare ${s.model} --baseline ${s.baselineVersion} --candidate ${s.candidateVersion} --candidate-node ${s.candidateNode}]`,
      ),
    );
  }
  if (outcome.explanation) {
    const e = outcome.explanation;
    sections.push(
      table(
        ['feature', 'value', 'attribution'],
        e.attributions.map((a, i) => [a.feature, e.features[i], number(a.value, 4)]),
        `Why row ${e.row} is ${e.predictedClass} (Kernel SHAP)  [sightline explain]`,
      ),
    );
  }
  if (outcome.trace) {
    const t = outcome.trace;
    sections.push(
      text(
        `Trace ${t.traceId}: ${t.spans} spans across ${t.services.join(', ')}  [sightline traces show ${t.traceId}]`,
      ),
    );
  }
  for (const problem of outcome.problems) sections.push(text(`not shown: ${problem}`));
  return sections;
}
