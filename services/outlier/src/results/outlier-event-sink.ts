/**
 * OutlierEvents as CloudEvents (type `io.sightline.outlier`) for the --outlier-event-sink-url
 * sender, libs/events' RecordCloudEventSink.
 */
import { OUTLIER_CLOUD_EVENT_TYPE, type RecordCloudEventAttributes } from '@sightline/events';
import type { OutlierEventRecord } from '../data-plane/outlier-types.js';

/** The CloudEvents type of an OutlierEvent (libs/events holds it: the metrics service takes them too). */
export { OUTLIER_CLOUD_EVENT_TYPE };

/** An OutlierEvent's CloudEvent attributes: its id, the detector as subject and extension, the verdict. */
export function outlierEventAttributes(record: OutlierEventRecord): RecordCloudEventAttributes {
  return {
    id: record.eventId,
    subject: record.detector,
    timeUnixMs: record.timeUnixMs,
    extensions: { detector: record.detector, outlier: String(record.isOutlier), model: record.modelName },
  };
}
