/**
 * The gauges of a service's segmented result log (libs/events' JsonlRecordLog of DriftEvents
 * or OutlierEvents), so that its disk use and retention are visible:
 * `<prefix>_log_bytes` and `<prefix>_log_segments`.
 */
import { Gauge, type Registry } from 'prom-client';

/** What the gauges read from the log at each scrape; undefined before it is open. */
export type ResultLogSource = () => { readonly bytes: number; readonly segmentCount: number } | undefined;

/**
 * Registers `<prefix>_log_bytes` and `<prefix>_log_segments` (`sightline_outlier_events`),
 * read from `source` at each scrape; `what` names the records in the help.
 */
export function registerResultLogGauges(
  registry: Registry,
  prefix: string,
  what: string,
  source: ResultLogSource,
): void {
  new Gauge({
    name: `${prefix}_log_bytes`,
    help: `Bytes of the ${what} log's kept segment files (bounded by its retention bytes plus the segment being written).`,
    registers: [registry],
    collect() {
      this.set(source()?.bytes ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}_log_segments`,
    help: `Segment files of the ${what} log kept (the oldest are deleted past its retention).`,
    registers: [registry],
    collect() {
      this.set(source()?.segmentCount ?? 0);
    },
  });
}
