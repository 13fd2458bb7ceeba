/** ListConceptDrift's request and response ↔ src/queries/concept-drift-listing. */
import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { DriftState } from '@sightline/stats';
import type {
  ConceptDriftEntry,
  ConceptDriftPage,
  ConceptDriftQuery,
} from '../queries/concept-drift-listing.js';
import type { ConceptDriftDetectorName } from '../windows/window-options.js';
import { seriesToMessage } from './comparison-messages.js';

const S = metricsV1.ConceptDriftState;
const STATES: Record<DriftState, metricsV1.ConceptDriftState> = {
  stable: S.CONCEPT_DRIFT_STATE_STABLE,
  warning: S.CONCEPT_DRIFT_STATE_WARNING,
  drift: S.CONCEPT_DRIFT_STATE_DRIFT,
};
const STATE_NAMES = new Map(Object.entries(STATES).map(([name, value]) => [value, name as DriftState]));
const D = metricsV1.ConceptDriftDetector;
const DETECTORS: Record<ConceptDriftDetectorName, metricsV1.ConceptDriftDetector> = {
  ddm: D.CONCEPT_DRIFT_DETECTOR_DDM,
  adwin: D.CONCEPT_DRIFT_DETECTOR_ADWIN,
  pageHinkley: D.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY,
};

export function driftQueryFromMessage(req: metricsV1.ListConceptDriftRequest): ConceptDriftQuery {
  const states = req.states.map((state, i) => {
    const name = STATE_NAMES.get(state);
    if (name === undefined)
      throw new InvalidArgumentError(`states[${i}]: not a concept-drift state (${state})`);
    return name;
  });
  return {
    modelName: req.series?.modelName ?? '',
    ...(req.series?.modelVersion === undefined ? {} : { modelVersion: req.series.modelVersion }),
    ...(req.series?.node === undefined ? {} : { node: req.series.node }),
    states,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
  };
}

export function driftEntryToMessage(entry: ConceptDriftEntry): metricsV1.ConceptDriftStatus {
  return {
    series: seriesToMessage(entry.series),
    detector: DETECTORS[entry.detector],
    state: STATES[entry.state],
    pairsSeen: BigInt(entry.pairsSeen),
    ...(entry.stateTimeMs === undefined ? {} : { stateTime: new Date(entry.stateTimeMs) }),
    previousState:
      entry.previousState === undefined ? S.CONCEPT_DRIFT_STATE_UNSPECIFIED : STATES[entry.previousState],
  };
}

export function driftPageToMessage(page: ConceptDriftPage): metricsV1.ListConceptDriftResponse {
  return { detectors: page.entries.map(driftEntryToMessage), nextPageToken: page.nextPageToken };
}
