/**
 * DriftEvents as CloudEvents (type `io.sightline.drift`) for the --drift-event-sink-url
 * sender, libs/events' RecordCloudEventSink.
 */
import type { RecordCloudEventAttributes } from '@sightline/events';
import type { DriftEventRecord } from './drift-event.js';

/** The CloudEvents type of a DriftEvent. */
export const DRIFT_CLOUD_EVENT_TYPE = 'io.sightline.drift';

/** A DriftEvent's CloudEvent attributes: its id, the detector as subject and extension, the verdict. */
export function driftEventAttributes(record: DriftEventRecord): RecordCloudEventAttributes {
  return {
    id: record.eventId,
    subject: record.detector,
    timeUnixMs: record.timeUnixMs,
    extensions: { detector: record.detector, drift: String(record.verdict.isDrift) },
  };
}
