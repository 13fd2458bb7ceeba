/**
 * How `sightline drift ...` prints what the SDK answers: tables of features (statistic,
 * p-value, effect sizes, verdict) and of windows, fields for a detector and an overall
 * verdict, and the `--json` documents (snake_case keys, as every command's).
 */
import type {
  DriftDetector,
  DriftEventRecord,
  DriftHistoryWindow,
  DriftLineage,
  DriftPrediction,
  DriftTrailingReference,
  DriftVerdict,
  FeatureDriftResult,
} from '@sightline/sdk';
import { type Cell, fields, type Section, table, text } from '../frame/output.js';
import {
  detectorStatusFields,
  type FieldLine,
  lineageLines,
  selectorText,
  timeText,
} from './detector-view.js';

/** Keys whose values are records of the user's own names, kept as they are. */
const VERBATIM_KEYS = new Set(['labels', 'events_skipped', 'categories_per_feature']);

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * A result as its `--json` document: camelCase keys in snake_case (except in records of
 * user names: labels, skip reasons), undefined fields left out.
 */
export function driftJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(driftJson);
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value))
    return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    const name = snake(key);
    out[name] = VERBATIM_KEYS.has(name) ? field : driftJson(field);
  }
  return out;
}

/**
 * A statistic or p-value for a table: 4 significant digits, exponent form below 1e-3
 * (p-values of strong drift are tiny), empty when absent.
 */
export function formatStat(value: number | undefined): string {
  if (value === undefined) return '';
  if (value === 0 || !Number.isFinite(value)) return String(value);
  if (Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** `DRIFT` or `no drift`. */
export function verdictWord(drift: boolean): string {
  return drift ? 'DRIFT' : 'no drift';
}

/** The columns of the per-feature table. */
export const FEATURE_COLUMNS = [
  'feature',
  'type',
  'test',
  'statistic',
  'p-value',
  'psi',
  'jensen-shannon',
  'wasserstein',
  'hellinger',
  'verdict',
] as const;

/** True when a feature had a test of its own (multivariate kinds answer effect sizes alone, test "none"). */
function tested(feature: FeatureDriftResult): boolean {
  return feature.test !== '' && feature.test !== 'none';
}

function featureRow(feature: FeatureDriftResult): Cell[] {
  const sizes = feature.effectSizes;
  const own = tested(feature);
  return [
    feature.name,
    feature.featureType,
    own ? feature.test : '',
    own ? formatStat(feature.statistic) : '',
    own ? formatStat(feature.pValue) : '',
    formatStat(sizes?.psi),
    formatStat(sizes?.jensenShannon),
    formatStat(sizes?.wasserstein),
    formatStat(sizes?.hellinger),
    own ? verdictWord(feature.drift) : '',
  ];
}

const QUALITY_COLUMNS = [
  'feature',
  'rows',
  'missing',
  'out of bounds',
  'unseen categories',
  'type violations',
  'failure rate',
  'verdict',
] as const;

function qualityRow(feature: FeatureDriftResult): Cell[] {
  const q = feature.quality;
  return [
    feature.name,
    q?.rows,
    q?.missing,
    q?.outOfBounds,
    q?.unseenCategories,
    q?.typeViolations,
    formatStat(q?.failureRate),
    verdictWord(feature.drift),
  ];
}

/** The overall verdict's lines: what was compared, against which threshold, corrected how. */
export function verdictFields(verdict: DriftVerdict): (readonly [string, Cell])[] {
  const lines: (readonly [string, Cell])[] = [['verdict', verdictWord(verdict.drift)]];
  // MMD and LSDD: one test over all features (their features, if any, carry effect sizes only).
  const multivariate =
    verdict.sigma !== undefined || (verdict.pValue !== undefined && !verdict.features.some(tested));
  const online = verdict.testStat !== undefined || verdict.time !== undefined;
  if (online) {
    lines.push(
      ['test statistic', formatStat(verdict.testStat)],
      ['threshold', formatStat(verdict.threshold)],
      ['time (rows seen)', verdict.time],
    );
    if (verdict.driftTime !== undefined) lines.push(['drift at row', verdict.driftTime]);
    return lines;
  }
  if (multivariate) {
    lines.push(
      ['statistic', formatStat(verdict.distance)],
      ['bandwidth (sigma)', formatStat(verdict.sigma)],
      ['p-value', formatStat(verdict.pValue)],
      ['threshold (p-value)', formatStat(verdict.threshold)],
      ['distance threshold', formatStat(verdict.distanceThreshold)],
    );
  } else if (verdict.verdictOn === 'distance') {
    lines.push(
      ['reconstruction error', formatStat(verdict.distance)],
      ['threshold', formatStat(verdict.threshold)],
    );
  } else {
    lines.push(['threshold', `${formatStat(verdict.threshold)} (${verdict.verdictOn || 'p_value'})`]);
    if (verdict.correction !== undefined) lines.push(['correction', verdict.correction]);
  }
  if (verdict.alpha > 0) lines.push(['significance level', formatStat(verdict.alpha)]);
  lines.push(['rows tested', verdict.rows]);
  return lines;
}

/** The human view of a verdict: the feature table (when there are features), then the overall verdict. */
export function verdictSections(verdict: DriftVerdict, title?: string): Section[] {
  const sections: Section[] = [];
  if (verdict.features.length > 0) {
    // Multivariate kinds: the table shows each feature's effect sizes; the test is overall.
    const quality = verdict.features.some((f) => f.quality !== undefined);
    sections.push(
      quality
        ? table([...QUALITY_COLUMNS], verdict.features.map(qualityRow), 'features')
        : table([...FEATURE_COLUMNS], verdict.features.map(featureRow), 'features'),
    );
  }
  sections.push(fields(verdictFields(verdict), title ?? 'overall'));
  return sections;
}

/** `drift score`'s human view. */
export function predictionSections(name: string, prediction: DriftPrediction): Section[] {
  return [text(`detector ${name} (${prediction.meta.kindName})`), ...verdictSections(prediction.data)];
}

/** `drift list`'s columns. */
export const DETECTOR_COLUMNS = [
  'name',
  'kind',
  'state',
  'version',
  'features',
  'reference rows',
  'attached',
  'fitted',
] as const;

/** One detector as a `drift list` row. */
export function detectorRow(detector: DriftDetector): Cell[] {
  return [
    detector.name,
    detector.kind,
    detector.state,
    detector.version,
    detector.featureCount,
    detector.referenceRows,
    detector.attached ? `yes (${detector.live?.modelName ?? ''})` : 'no',
    timeText(detector.fitTime),
  ];
}

function settingsText(settings: object): string {
  return Object.entries(settings)
    .filter(([key, value]) => key !== 'kind' && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

/** A lineage's lines. */
export function lineageFields(lineage: DriftLineage): FieldLine[] {
  return lineageLines(lineage, settingsText(lineage.settings), [
    [
      'features',
      lineage.featureNames.map((name, i) => `${name} (${lineage.featureTypes[i] ?? '?'})`).join(', '),
    ],
  ]);
}

/** A trailing reference in words: `1h ending 7d ago, refitted every 1h`. */
export function trailingText(trailing: DriftTrailingReference): string {
  const span = (ms: number) => {
    for (const [unit, size] of [
      ['d', 86_400_000],
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1000],
    ] as const) {
      if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
    }
    return `${ms}ms`;
  };
  const offset = trailing.offsetMs ?? 0;
  const model = trailing.selector ? ` of model ${trailing.selector.modelName}` : '';
  return `${span(trailing.lengthMs)}${model} ending ${offset === 0 ? 'now' : `${span(offset)} ago`}, refitted every ${span(trailing.refitIntervalMs ?? trailing.lengthMs)}${trailing.minRows ? `, at least ${trailing.minRows} rows` : ''}`;
}

/** `drift get`'s human view: the detector, its attachment, and its versions. */
export function detectorSections(detector: DriftDetector, versions: readonly DriftLineage[]): Section[] {
  const live = detector.live;
  const window = detector.liveWindow;
  const sections: Section[] = [
    fields(
      [
        ['name', detector.name],
        ['kind', detector.kind],
        ['settings', settingsText(detector.settings)],
        ['state', detector.state],
        ['version', detector.version],
        ['features', detector.featureCount],
        ['categorical', detector.categoricalFeatures.join(', ')],
        ['reference rows', detector.referenceRows],
        ...detectorStatusFields(detector),
        ...(live === undefined ? [] : ([['live events', selectorText(live)]] as const)),
        ...(window === undefined ? [] : ([['live window', windowText(window)]] as const)),
        ...(detector.trailingReference === undefined
          ? []
          : ([['trailing reference', trailingText(detector.trailingReference)]] as const)),
      ],
      'detector',
    ),
  ];
  if (versions.length > 0) {
    sections.push(
      table(
        ['version', 'kind', 'reference rows', 'reference sha256', 'source', 'creator', 'created'],
        versions.map((v) => [
          v.version,
          v.kindName,
          v.referenceRows,
          v.referenceSha256.slice(0, 12),
          v.referenceSource,
          v.creator,
          timeText(v.createTime),
        ]),
        'versions',
      ),
    );
  }
  return sections;
}

/** A window setting in words: `1000 rows or 1h, tumbling`. */
export function windowText(window: {
  readonly maxRows?: number;
  readonly maxDurationMs?: number;
  readonly minRows?: number;
  readonly mode?: string;
  readonly slideRows?: number;
}): string {
  const rows = window.maxRows === undefined ? 'default rows' : `${window.maxRows} rows`;
  const duration = window.maxDurationMs === undefined ? 'default time' : durationText(window.maxDurationMs);
  const slide =
    window.mode === 'sliding' && window.slideRows !== undefined ? ` by ${window.slideRows} rows` : '';
  return `${rows} or ${duration}, whichever first; ${window.mode ?? 'tumbling'}${slide}`;
}

function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `drift run`'s window table columns. */
export const WINDOW_COLUMNS = [
  'start',
  'end',
  'events',
  'rows',
  'verdict',
  'threshold',
  'drifted features',
  'min p-value',
] as const;

function minimumPValue(verdict: DriftVerdict): number | undefined {
  const values = verdict.features.map((f) => f.pValue);
  if (verdict.pValue !== undefined) values.push(verdict.pValue);
  return values.length === 0 ? undefined : Math.min(...values);
}

/** One history window as a row. */
export function windowRow(window: DriftHistoryWindow): Cell[] {
  const drifted = window.verdict.features.filter((f) => f.drift).map((f) => f.name);
  return [
    timeText(window.startTime),
    timeText(window.endTime),
    window.events,
    window.rows,
    verdictWord(window.verdict.drift),
    formatStat(window.verdict.threshold),
    drifted.join(', '),
    formatStat(minimumPValue(window.verdict)),
  ];
}

/** `drift events`' columns. */
export const EVENT_COLUMNS = [
  'scored',
  'detector',
  'version',
  'origin',
  'model',
  'window start',
  'window end',
  'rows',
  'closed by',
  'verdict',
  'threshold',
] as const;

/** One drift event as a row. */
export function driftEventRow(event: DriftEventRecord): Cell[] {
  return [
    timeText(event.time),
    event.detector,
    event.detectorVersion,
    event.origin,
    event.modelVersion ? `${event.modelName}:${event.modelVersion}` : event.modelName,
    timeText(event.windowStartTime),
    timeText(event.windowEndTime),
    event.rows,
    event.closedBy,
    event.verdict === undefined ? '' : verdictWord(event.verdict.drift),
    formatStat(event.verdict?.threshold),
  ];
}
