/**
 * What `sightline drift ...` and `sightline outlier ...` print alike about a detector: its
 * times, the events it reads, its inputs, labels and attachment, and the provenance lines
 * of a saved version.
 */
import type { EventSelector } from '@sightline/sdk';
import type { Cell } from '../frame/output.js';

/** A field of a `fields` section: its label and its cell. */
export type FieldLine = readonly [string, Cell];

/** An instant as ISO-8601, or empty when there is none. */
export function timeText(value: Date | undefined): string {
  return value === undefined ? '' : value.toISOString();
}

/** A selector in words: `model iris version 1 in graph g, request tensors input, columns a, b`. */
export function selectorText(live: EventSelector): string {
  return `model ${live.modelName}${live.modelVersion ? ` version ${live.modelVersion}` : ''}${live.graph ? ` in graph ${live.graph}` : ''}, ${live.side ?? 'request'} tensors ${live.tensors?.length ? live.tensors.join(', ') : '(all)'}${live.columnNames?.length ? `, columns ${live.columnNames.join(', ')}` : ''}`;
}

/** A lineage's events left out: `7 of width 3, 2 missing-tensor`. */
export function skippedText(skipped: Readonly<Record<string, number>>): string {
  return Object.entries(skipped)
    .map(([reason, n]) => (reason.startsWith('width ') ? `${n} of ${reason}` : `${n} ${reason}`))
    .join(', ');
}

/** What every detector has for `get`'s lines after its own: inputs, times, labels, attachment. */
export interface DetectorStatus {
  readonly inputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly rowShape: readonly number[];
  }[];
  readonly createTime: Date | undefined;
  readonly fitTime: Date | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly attached: boolean;
}

/** `get`'s lines for a detector's inputs, created and fitted times, labels and attachment. */
export function detectorStatusFields(detector: DetectorStatus): FieldLine[] {
  return [
    ['inputs', detector.inputs.map((i) => `${i.name} ${i.datatype} [${i.rowShape.join(', ')}]`).join(', ')],
    ['created', timeText(detector.createTime)],
    ['fitted', timeText(detector.fitTime)],
    [
      'labels',
      Object.entries(detector.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ],
    ['attached', detector.attached ? 'yes' : 'no'],
  ];
}

/** What every saved version's lineage has, whatever the service. */
export interface CommonLineage {
  readonly version: number;
  readonly kindName: string;
  readonly referenceRows: number;
  readonly referenceSha256: string;
  readonly referenceSource: string;
  readonly referenceSkippedEvents?: Readonly<Record<string, number>> | undefined;
  readonly createTime: Date | undefined;
  readonly creator: string;
  readonly sightlineVersion: string;
  readonly seed: Cell;
}

/**
 * A lineage's lines: version, kind, `settings` (each service words its own), the
 * reference and the events it left out, the service's `detail` lines, then who made it.
 */
export function lineageLines(
  lineage: CommonLineage,
  settings: string,
  detail: readonly FieldLine[],
): FieldLine[] {
  const skipped = lineage.referenceSkippedEvents ?? {};
  return [
    ['version', lineage.version],
    ['kind', lineage.kindName],
    ['settings', settings],
    ['reference rows', lineage.referenceRows],
    ['reference sha256', lineage.referenceSha256],
    ['reference source', lineage.referenceSource],
    ...(Object.keys(skipped).length === 0 ? [] : ([['events left out', skippedText(skipped)]] as const)),
    ...detail,
    ['created', timeText(lineage.createTime)],
    ['creator', lineage.creator],
    ['sightline version', lineage.sightlineVersion],
    ['seed', lineage.seed],
  ];
}
