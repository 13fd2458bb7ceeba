/**
 * ListConceptDrift: every series' concept-drift detector states (from MetricWindows' monitors),
 * filtered, in (model, version, node, detector) order, a page at a time.
 */
import { InvalidArgumentError, NotFoundError, quoteName } from '@sightline/errors';
import type { DriftState } from '@sightline/stats';
import type { SeriesKey } from '../domain/records.js';
import type { MetricWindows } from '../windows/metric-windows.js';
import type { ConceptDriftDetectorName } from '../windows/window-options.js';
import type { ConceptDriftChangeLog } from './concept-drift-changes.js';
import type { PageTokens } from './page-token.js';
import type { SeriesCatalog } from './series-catalog.js';

/** Page size when the request gives none, and the most a request may ask for. */
export const DEFAULT_DRIFT_PAGE_SIZE = 100;
export const MAX_DRIFT_PAGE_SIZE = 1000;
/** The contract's detector order (its enum's). */
const DETECTOR_ORDER: readonly ConceptDriftDetectorName[] = ['ddm', 'adwin', 'pageHinkley'];

export interface ConceptDriftQuery {
  /** '' lists every model (then version and node must be unset). */
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
  /** Only these states; empty means every state. */
  readonly states: readonly DriftState[];
  /** 0 means {@link DEFAULT_DRIFT_PAGE_SIZE}. */
  readonly pageSize: number;
  /** '' starts at the beginning. */
  readonly pageToken: string;
}

export interface ConceptDriftEntry {
  readonly series: SeriesKey;
  readonly detector: ConceptDriftDetectorName;
  readonly state: DriftState;
  readonly pairsSeen: number;
  /** When the detector entered its state; undefined while stable since it started (or unknown since a restart). */
  readonly stateTimeMs?: number;
  /** The state before the last change; undefined before any. */
  readonly previousState?: DriftState;
}

export interface ConceptDriftPage {
  readonly entries: readonly ConceptDriftEntry[];
  /** '' on the last page. */
  readonly nextPageToken: string;
}

export interface ConceptDriftDeps {
  readonly windows: Pick<MetricWindows, 'conceptDriftState' | 'conceptDriftStates'>;
  /** NOT_FOUND for a model with no stored prediction. */
  readonly catalog: SeriesCatalog;
  readonly changes: ConceptDriftChangeLog;
  readonly tokens: PageTokens;
}

/**
 * One page of detector states.
 * @throws InvalidArgumentError (series.model_name_set, page_size, page_token), NotFoundError for
 * an unknown model.
 */
export async function listConceptDrift(
  query: ConceptDriftQuery,
  deps: ConceptDriftDeps,
): Promise<ConceptDriftPage> {
  if (query.modelName === '' && (query.modelVersion !== undefined || query.node !== undefined)) {
    throw new InvalidArgumentError(
      'series.model_name: required when a version or node is selected (rule "series.model_name_set")',
    );
  }
  if (query.pageSize > MAX_DRIFT_PAGE_SIZE) {
    throw new InvalidArgumentError(
      `page_size: must be at most ${MAX_DRIFT_PAGE_SIZE}, got ${query.pageSize}`,
    );
  }
  const fingerprint = JSON.stringify([
    'concept-drift',
    query.modelName,
    query.modelVersion ?? null,
    query.node ?? null,
    [...query.states].sort(),
  ]);
  const after = query.pageToken === '' ? undefined : deps.tokens.read(query.pageToken, fingerprint);
  if (query.modelName !== '') {
    if (!(await deps.catalog.hasPredictions({ modelName: query.modelName }))) {
      throw new NotFoundError(
        `series.model_name: model ${quoteName(query.modelName)} has no stored prediction`,
      );
    }
  }
  const pageSize = query.pageSize || DEFAULT_DRIFT_PAGE_SIZE;
  const matching = entries(query, deps).filter(
    (e) => after === undefined || compareKeys(sortKey(e), after) > 0,
  );
  const page = matching.slice(0, pageSize);
  const last = page[page.length - 1];
  return {
    entries: page,
    nextPageToken: matching.length > pageSize && last ? deps.tokens.issue(fingerprint, sortKey(last)) : '',
  };
}

function entries(query: ConceptDriftQuery, deps: ConceptDriftDeps): ConceptDriftEntry[] {
  const out: ConceptDriftEntry[] = [];
  for (const monitor of deps.windows.conceptDriftState()) {
    const { series } = monitor;
    if (query.modelName !== '' && series.modelName !== query.modelName) continue;
    if (query.modelVersion !== undefined && series.modelVersion !== query.modelVersion) continue;
    if (query.node !== undefined && series.node !== query.node) continue;
    const states = deps.windows.conceptDriftStates(series);
    for (const detector of DETECTOR_ORDER) {
      const state = states[detector];
      if (state === undefined) continue;
      if (query.states.length > 0 && !query.states.includes(state)) continue;
      const change = deps.changes.last(series, detector);
      out.push({
        series,
        detector,
        state,
        pairsSeen: monitor.pairsSeen,
        ...(change && change.to === state ? { stateTimeMs: change.timeMs, previousState: change.from } : {}),
      });
    }
  }
  return out.sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
}

function sortKey(entry: ConceptDriftEntry): string[] {
  const { modelName, modelVersion, node } = entry.series;
  return [modelName, modelVersion, node, String(DETECTOR_ORDER.indexOf(entry.detector))];
}

/** Lexicographic by element, each compared by UTF-16 code units. */
function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
