/**
 * `sightline_<service>_detector_info`: 1 per detector of a detector service (drift,
 * outlier), with its kind, version, state, whether it is attached, and its own labels
 * (CreateDetector's `labels`) as `label_<name>`. Its label names differ per detector, which
 * prom-client's fixed label names cannot express, so it is registered as a metric the
 * registry reads at scrape time. Join it to the other series with
 * `* on (detector) group_left(label_team) sightline_drift_detector_info`.
 */
import type { Registry } from 'prom-client';

/** One detector as the info metric shows it. */
export interface DetectorInfo {
  readonly detector: string;
  readonly kind: string;
  readonly version: number;
  readonly state: string;
  readonly attached: boolean;
  /** The detector's own labels, each exported as `label_<name>`. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The Prometheus label of a detector label: `label_` and the name with other characters as `_`. */
export function detectorLabelName(name: string): string {
  return `label_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

class DetectorInfoMetric {
  readonly help =
    "One series per detector (value 1): kind, fitted version, state, attached, and the detector's own labels as label_<name>.";
  readonly type = 'gauge';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    private readonly detectors: () => readonly DetectorInfo[],
  ) {}

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.detectors().map((d) => ({
        value: 1,
        labels: {
          ...Object.fromEntries(Object.entries(d.labels).map(([k, v]) => [detectorLabelName(k), v])),
          detector: d.detector,
          kind: d.kind,
          version: String(d.version),
          state: d.state,
          attached: String(d.attached),
        },
      })),
    };
  }

  reset(): void {}
}

/** Registers the info metric `name` on `registry`, reading `detectors` at each scrape. */
export function registerDetectorInfo(
  registry: Registry,
  name: string,
  detectors: () => readonly DetectorInfo[],
): void {
  registry.registerMetric(new DetectorInfoMetric(name, detectors) as never);
}
