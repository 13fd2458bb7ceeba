/**
 * How `sightline outlier ...` prints what the SDK answers: a table of rows (score, verdict,
 * per-feature scores), a detector with its threshold and where it came from, its versions'
 * lineage, outlier events and the outliers a history run found. `--json` documents use
 * snake_case keys, as every command's (the drift commands' converter).
 */
import type {
  OutlierDetector,
  OutlierEventRecord,
  OutlierEventVerdict,
  OutlierLineage,
  OutlierPrediction,
  TrainingProgress,
} from '@sightline/sdk';
import { type Cell, fields, type Section, table, text } from '../frame/output.js';
import {
  detectorStatusFields,
  type FieldLine,
  lineageLines,
  selectorText,
  timeText,
} from './detector-view.js';
import { formatStat } from './drift-view.js';

/** `OUTLIER` or `inlier`. */
export function outlierWord(outlier: boolean): string {
  return outlier ? 'OUTLIER' : 'inlier';
}

/** An ordinal percentile: `95th`, `99.5th`, `1st`, `2nd`, `3rd`. */
function ordinal(value: number): string {
  const whole = Number.isInteger(value) ? value : undefined;
  const last = whole === undefined ? undefined : whole % 100;
  const suffix =
    last === undefined || (last >= 11 && last <= 13)
      ? 'th'
      : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[last % 10] ?? 'th');
  return `${value}${suffix}`;
}

/** The threshold and where it came from, in words. */
export function thresholdText(detector: OutlierDetector): string {
  if (detector.threshold === undefined)
    return 'unset (fit with a threshold rule, or run outlier infer-threshold)';
  const value = formatStat(detector.threshold);
  const at = detector.thresholdPercentile === undefined ? '' : ordinal(detector.thresholdPercentile);
  switch (detector.thresholdSource) {
    case 'config':
      return `${value} (fixed by --threshold)`;
    case 'fit_percentile':
      return `${value} (the ${at} percentile of the reference's scores, set by the fit)`;
    case 'infer_threshold':
      return `${value} (the ${at} percentile of the data given to infer-threshold)`;
    default:
      return value;
  }
}

/** A training's summary: `20/20 epochs, loss 0.0123, 4.2 s on tfjs-node`. */
export function trainingText(training: TrainingProgress): string {
  return `${training.epoch}/${training.epochs} epochs, loss ${formatStat(training.loss)}, ${training.elapsedSeconds.toFixed(1)} s on ${training.backend}`;
}

function settingsText(settings: object): string {
  return Object.entries(settings)
    .filter(([key, value]) => key !== 'kind' && value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}

/** `outlier list`'s columns. */
export const OUTLIER_DETECTOR_COLUMNS = [
  'name',
  'kind',
  'state',
  'version',
  'features',
  'reference rows',
  'threshold',
  'attached',
  'fitted',
] as const;

/** One detector as an `outlier list` row. */
export function outlierDetectorRow(detector: OutlierDetector): Cell[] {
  return [
    detector.name,
    detector.kind,
    detector.state,
    detector.version,
    detector.featureCount,
    detector.referenceRows,
    formatStat(detector.threshold),
    detector.attached ? `yes (${detector.live?.modelName ?? ''})` : 'no',
    timeText(detector.fitTime),
  ];
}

/** A lineage's lines. */
export function outlierLineageFields(lineage: OutlierLineage): FieldLine[] {
  return lineageLines(lineage, settingsText(lineage.settings), [
    ['features', lineage.featureNames.join(', ')],
    ...(lineage.training === undefined ? [] : ([['training', trainingText(lineage.training)]] as const)),
  ]);
}

/** `outlier get`'s human view: the detector, its threshold, attachment, and its versions. */
export function outlierDetectorSections(
  detector: OutlierDetector,
  versions: readonly OutlierLineage[],
): Section[] {
  const sections: Section[] = [
    fields(
      [
        ['name', detector.name],
        ['kind', detector.kind],
        ['settings', settingsText(detector.settings)],
        ['state', detector.state],
        ['version', detector.version],
        ['threshold', thresholdText(detector)],
        ['features', detector.featureNames.join(', ') || detector.featureCount],
        ['reference rows', detector.referenceRows],
        ...(detector.runningRows > 0 ? ([['running rows', detector.runningRows]] as const) : []),
        ...detectorStatusFields(detector),
        ...(detector.live === undefined ? [] : ([['live events', selectorText(detector.live)]] as const)),
      ],
      'detector',
    ),
  ];
  if (versions.length > 0) {
    sections.push(
      table(
        [
          'version',
          'kind',
          'reference rows',
          'reference sha256',
          'source',
          'creator',
          'seed',
          'training',
          'created',
        ],
        versions.map((v) => [
          v.version,
          v.kindName,
          v.referenceRows,
          v.referenceSha256.slice(0, 12),
          v.referenceSource,
          v.creator,
          v.seed,
          v.training === undefined ? '' : trainingText(v.training),
          timeText(v.createTime),
        ]),
        'versions',
      ),
    );
  }
  return sections;
}

/**
 * Most rows `outlier score` draws as a table: past it the table shows only the outlier rows
 * (at most this many), because a table of every row of a large file takes seconds to draw
 * and buries the outliers; `--json` prints every row.
 */
export const MAX_SCORE_TABLE_ROWS = 1000;

/**
 * `outlier score`'s human view: a row per instance (its label when the file had one, the
 * score, the verdict, each feature's score when the kind has them), then the summary. Past
 * `maxRows` rows, only the outliers are drawn (at most `maxRows` of them).
 */
export function scoreSections(
  name: string,
  prediction: OutlierPrediction,
  featureNames: readonly string[],
  labels: readonly (string | number)[] | undefined,
  maxRows = MAX_SCORE_TABLE_ROWS,
): Section[] {
  const { data, meta } = prediction;
  const perFeature = data.featureScores.length > 0;
  const columns = [
    'row',
    ...(labels === undefined ? [] : ['label']),
    'score',
    'verdict',
    ...(perFeature ? featureNames.map((feature) => `${feature} score`) : []),
  ];
  const total = data.isOutlier.length;
  const flagged = data.isOutlier.filter(Boolean).length;
  const shownRows =
    total <= maxRows
      ? data.isOutlier.map((_, r) => r)
      : data.isOutlier.flatMap((outlier, r) => (outlier ? [r] : [])).slice(0, maxRows);
  const rows = shownRows.map((r): Cell[] => [
    r,
    ...(labels === undefined ? [] : [labels[r]]),
    formatStat(data.instanceScores[r]),
    outlierWord(data.isOutlier[r] === true),
    ...(perFeature ? (data.featureScores[r] ?? []).map((score) => formatStat(score)) : []),
  ]);
  const title =
    total <= maxRows
      ? 'rows'
      : `outlier rows (${total} rows are more than ${maxRows}: only outliers are shown${flagged > maxRows ? `, the first ${maxRows}` : ''}; --json prints every row)`;
  return [
    table(columns, rows, title),
    fields(
      [
        ['detector', `${name} (${meta.kindName}, version ${meta.version})`],
        ['threshold', formatStat(data.threshold)],
        ['rows', total],
        ['outliers', flagged],
      ],
      'summary',
    ),
  ];
}

/** `outlier events`' columns. */
export const OUTLIER_EVENT_COLUMNS = [
  'scored',
  'detector',
  'version',
  'request id',
  'model',
  'graph',
  'verdict',
  'score',
  'threshold',
  'rows flagged',
  'trace id',
] as const;

function flaggedText(rows: readonly boolean[]): string {
  return `${rows.filter(Boolean).length}/${rows.length}`;
}

/** One outlier event as a row. */
export function outlierEventRow(event: OutlierEventRecord): Cell[] {
  return [
    timeText(event.time),
    event.detector,
    event.detectorVersion,
    event.requestId,
    event.modelVersion ? `${event.modelName}:${event.modelVersion}` : event.modelName,
    event.graph,
    outlierWord(event.isOutlier),
    formatStat(event.score),
    formatStat(event.threshold),
    flaggedText(event.rowIsOutlier),
    event.traceId,
  ];
}

/** `outlier run`'s columns: the outliers found. */
export const HISTORY_OUTLIER_COLUMNS = [
  'request id',
  'time',
  'model',
  'score',
  'rows flagged',
  'trace id',
] as const;

/** The highest row score of a verdict (what an OutlierEvent calls its score). */
export function highestScore(verdict: OutlierEventVerdict): number | undefined {
  // A loop, not Math.max(...scores): spreading a very wide event's rows overflows the stack.
  return verdict.instanceScores.length === 0
    ? undefined
    : verdict.instanceScores.reduce((high, score) => Math.max(high, score), -Infinity);
}

/** One outlier a history run found, as a row. */
export function historyOutlierRow(verdict: OutlierEventVerdict): Cell[] {
  return [
    verdict.requestId,
    timeText(verdict.eventTime),
    verdict.modelVersion ? `${verdict.modelName}:${verdict.modelVersion}` : verdict.modelName,
    formatStat(highestScore(verdict)),
    flaggedText(verdict.isOutlier),
    verdict.traceId,
  ];
}

/**
 * `outlier run`'s table of the outliers found: at most `maxRows` drawn (a table of 144,000
 * rows overflowed the table library's stack), the title saying how many there were; `--json`
 * prints every one.
 */
export function historyOutliersTable(
  outliers: readonly OutlierEventVerdict[],
  maxRows = MAX_SCORE_TABLE_ROWS,
): Section {
  const title =
    outliers.length <= maxRows
      ? 'outliers'
      : `outliers (the first ${maxRows} of ${outliers.length}; --json prints every one)`;
  return table([...HISTORY_OUTLIER_COLUMNS], outliers.slice(0, maxRows).map(historyOutlierRow), title);
}

/** A line saying what a fit made. */
export function fitLine(name: string, detector: OutlierDetector, created: boolean): Section {
  return text(
    `${created ? 'created and fitted' : 'fitted'} detector ${JSON.stringify(name)} (${detector.kind}): version ${detector.version}, ${detector.referenceRows} reference rows, ${detector.featureCount} features`,
  );
}
