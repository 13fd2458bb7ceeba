/**
 * Live windows of the attached detectors: each live InferenceEvent that an attachment
 * selects (model, version, graph) is read into rows with the fitted schema (an unreadable
 * event is counted per reason, never thrown), added to the detector's open window, and the
 * window is tested when it reaches `maxRows` rows or when `maxDurationMs` has passed since
 * its first row arrived, whichever comes first. A window closing on time with fewer than
 * `minRows` rows is carried into the next one. Sliding windows keep their newest
 * `maxRows - slideRows` rows after each test.
 *
 * Restart rule: open windows are checkpointed (`<dir>/<detector>.json`) every
 * `--checkpoint-interval-ms` and at a graceful stop, and restored when the detector is
 * re-attached at start with the same fitted version; a kill -9 loses at most the rows that
 * arrived since the last checkpoint. A checkpoint of another version is dropped (counted).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  concatTables,
  type EventSelection as DetectSelection,
  type FeatureTable,
  readEventRows,
  sliceRows,
  toRowMajor,
} from '@sightline/detect';
import { InvalidArgumentError } from '@sightline/errors';
import type { InferenceEvent } from '@sightline/events';
import type { Logger } from '@sightline/service-kit';
import type { EngineListener } from '../data-plane/drift-engine.js';
import type { EventSelection, WindowSettings } from '../data-plane/drift-types.js';
import type { DriftVerdict, WindowClosedBy } from '../results/drift-event.js';
import type { LoadedVersion } from './detect-engine.js';

/** The version of a window checkpoint file. */
export const WINDOW_CHECKPOINT_SCHEMA_VERSION = 1;

/** The selection as libs/detect reads one event. */
export function detectSelection(selection: EventSelection): DetectSelection {
  if (selection.tensors.length > 1) {
    throw new InvalidArgumentError(
      `selector.tensors: ${selection.tensors.length} tensors; this version reads one tensor per event`,
    );
  }
  return {
    side: selection.side,
    ...(selection.tensors[0] ? { tensor: selection.tensors[0] } : {}),
    ...(selection.columnNames.length > 0 ? { columnNames: selection.columnNames } : {}),
  };
}

/** Whether a live event belongs to a selection (a graph name counts as the model name). */
export function selects(selection: EventSelection, event: InferenceEvent): boolean {
  const model =
    event.modelName === selection.modelName ||
    (selection.graph === '' && event.graph === selection.modelName);
  return (
    model &&
    (selection.modelVersion === '' || event.modelVersion === selection.modelVersion) &&
    (selection.graph === '' || event.graph === selection.graph)
  );
}

interface OpenWindow {
  tables: FeatureTable[];
  rows: number;
  events: number;
  requestIds: string[];
  requestIdCount: number;
  /** Arrival time of the window's first row (the time limit counts from it). */
  openedAtMs: number | undefined;
  firstEventMs: number;
  lastEventMs: number;
}

interface Attached {
  readonly name: string;
  readonly selection: EventSelection;
  readonly detect: DetectSelection;
  readonly window: WindowSettings;
  readonly version: number;
  open: OpenWindow;
}

interface Checkpoint {
  readonly schemaVersion: number;
  readonly detector: string;
  readonly version: number;
  readonly names: readonly string[];
  /** Row-major float64 little-endian, base64. */
  readonly rows: string;
  readonly rowCount: number;
  readonly events: number;
  readonly requestIds: readonly string[];
  readonly requestIdCount: number;
  readonly openedAtMs: number | undefined;
  readonly firstEventMs: number;
  readonly lastEventMs: number;
}

/** Options of {@link LiveWindows}. */
export interface LiveWindowsOptions {
  readonly directory: string;
  readonly listener: EngineListener;
  readonly maxRequestIds: number;
  readonly version: (name: string) => LoadedVersion | undefined;
  readonly score: (name: string, table: FeatureTable) => DriftVerdict;
  readonly logger: Logger;
}

function emptyWindow(): OpenWindow {
  return {
    tables: [],
    rows: 0,
    events: 0,
    requestIds: [],
    requestIdCount: 0,
    openedAtMs: undefined,
    firstEventMs: Number.POSITIVE_INFINITY,
    lastEventMs: Number.NEGATIVE_INFINITY,
  };
}

/** The attached detectors' open windows. */
export class LiveWindows {
  private readonly attached = new Map<string, Attached>();
  /** Checkpoints read at start, waiting for their detector's re-attachment. */
  private readonly pending = new Map<string, Checkpoint>();

  constructor(private readonly options: LiveWindowsOptions) {}

  /** Reads the checkpoints left by the last run (adopted by the matching `attach`). */
  async restore(): Promise<void> {
    const entries = await readdir(this.options.directory).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.endsWith('.json')) continue;
      const file = path.join(this.options.directory, entry);
      try {
        const checkpoint = JSON.parse(await readFile(file, 'utf8')) as Checkpoint;
        if (
          checkpoint.schemaVersion !== WINDOW_CHECKPOINT_SCHEMA_VERSION ||
          typeof checkpoint.detector !== 'string'
        )
          throw new Error(`schemaVersion ${String(checkpoint.schemaVersion)}`);
        this.pending.set(checkpoint.detector, checkpoint);
      } catch (error) {
        this.options.logger.warn({ file, err: error }, 'window checkpoint refused; its rows are lost');
      }
    }
  }

  /** Starts (or replaces) the windows of `name`; a replaced open window is dropped. */
  attach(name: string, selection: EventSelection, window: WindowSettings): void {
    const version = this.options.version(name);
    if (!version) return;
    const detect = detectSelection(selection);
    if (this.attached.has(name)) this.detach(name, 'replaced');
    const attached: Attached = {
      name,
      selection,
      detect,
      window,
      version: version.info.version,
      open: emptyWindow(),
    };
    const checkpoint = this.pending.get(name);
    this.pending.delete(name);
    if (checkpoint) {
      if (checkpoint.version === attached.version && checkpoint.rowCount > 0) {
        attached.open = this.fromCheckpoint(checkpoint, version);
      } else {
        this.options.listener.windowDropped(name, 'checkpoint_version');
      }
    }
    this.attached.set(name, attached);
  }

  /** Stops the windows of `name`; a non-empty open window is dropped (counted). */
  detach(name: string, reason: string): void {
    const attached = this.attached.get(name);
    this.pending.delete(name);
    if (!attached) return;
    this.attached.delete(name);
    if (attached.open.rows > 0) this.options.listener.windowDropped(name, reason);
    rm(this.checkpointFile(name), { force: true }).catch(() => {});
  }

  /** Adds the selected events' rows to the windows; closes those that are full. */
  offer(events: readonly InferenceEvent[], nowMs: number): void {
    for (const attached of this.attached.values()) {
      const version = this.options.version(attached.name);
      if (!version) continue;
      const unreadable = new Map<string, number>();
      for (const event of events) {
        if (!selects(attached.selection, event)) continue;
        const nonFinite = version.kind === 'quality' ? 'keep' : 'refuse';
        const read = readEventRows(event, attached.detect, version.state.schema, nonFinite);
        if (!read.ok) {
          unreadable.set(read.problem, (unreadable.get(read.problem) ?? 0) + 1);
          continue;
        }
        this.add(attached, event, read.table, nowMs);
        while (attached.open.rows >= attached.window.maxRows) this.close(attached, 'rows', nowMs);
      }
      for (const [reason, count] of unreadable)
        this.options.listener.unreadable(attached.name, reason, count);
    }
  }

  /** Closes the windows whose time is up. */
  tick(nowMs: number): void {
    for (const attached of this.attached.values()) {
      const open = attached.open;
      if (open.openedAtMs === undefined || nowMs - open.openedAtMs < attached.window.maxDurationMs) continue;
      if (open.rows >= Math.max(1, attached.window.minRows)) this.close(attached, 'time', nowMs);
      // Too few rows to test: carried into the next window, whose time starts now.
      else open.openedAtMs = nowMs;
    }
  }

  /** Saves every non-empty open window (and removes the files of empty ones). */
  async checkpoint(): Promise<void> {
    await mkdir(this.options.directory, { recursive: true });
    for (const attached of [...this.attached.values()]) {
      const file = this.checkpointFile(attached.name);
      if (attached.open.rows === 0) {
        await rm(file, { force: true });
        continue;
      }
      const table = concatTables(attached.open.tables);
      attached.open.tables = [table];
      const values = toRowMajor(table);
      const checkpoint: Checkpoint = {
        schemaVersion: WINDOW_CHECKPOINT_SCHEMA_VERSION,
        detector: attached.name,
        version: attached.version,
        names: table.names,
        rows: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
        rowCount: table.rows,
        events: attached.open.events,
        requestIds: attached.open.requestIds,
        requestIdCount: attached.open.requestIdCount,
        openedAtMs: attached.open.openedAtMs,
        firstEventMs: attached.open.firstEventMs,
        lastEventMs: attached.open.lastEventMs,
      };
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(checkpoint), 'utf8');
      await rename(temp, file);
    }
  }

  private checkpointFile(name: string): string {
    return path.join(this.options.directory, `${name}.json`);
  }

  private add(attached: Attached, event: InferenceEvent, table: FeatureTable, nowMs: number): void {
    const open = attached.open;
    open.tables.push(table);
    open.rows += table.rows;
    open.events++;
    open.requestIdCount++;
    if (open.requestIds.length < this.options.maxRequestIds) open.requestIds.push(event.requestId);
    open.openedAtMs ??= nowMs;
    open.firstEventMs = Math.min(open.firstEventMs, event.timeUnixMs);
    open.lastEventMs = Math.max(open.lastEventMs, event.timeUnixMs);
  }

  private close(attached: Attached, closedBy: WindowClosedBy, nowMs: number): void {
    const open = attached.open;
    const all = concatTables(open.tables);
    const tested = closedBy === 'rows' ? sliceRows(all, 0, Math.min(all.rows, attached.window.maxRows)) : all;
    const rest = tested.rows < all.rows ? sliceRows(all, tested.rows, all.rows) : undefined;
    let verdict: DriftVerdict;
    try {
      verdict = this.options.score(attached.name, tested);
    } catch (error) {
      this.options.logger.error({ detector: attached.name, err: error }, 'live window not tested');
      this.options.listener.windowDropped(attached.name, 'test_failed');
      attached.open = emptyWindow();
      return;
    }
    this.options.listener.windowClosed({
      detector: attached.name,
      detectorVersion: attached.version,
      modelName: attached.selection.modelName,
      modelVersion: attached.selection.modelVersion,
      windowStartUnixMs: open.firstEventMs,
      windowEndUnixMs: open.lastEventMs,
      events: open.events,
      rows: tested.rows,
      requestIds: open.requestIds,
      requestIdCount: open.requestIdCount,
      closedBy,
      closedAtMs: nowMs,
      verdict,
    });
    const next = emptyWindow();
    // Sliding: the newest rows stay for the next test; rows past a full window always do.
    const keep =
      attached.window.mode === 'sliding'
        ? Math.max(0, attached.window.maxRows - attached.window.slideRows)
        : 0;
    const carried = [
      ...(keep > 0 ? [sliceRows(tested, Math.max(0, tested.rows - keep), tested.rows)] : []),
      ...(rest ? [rest] : []),
    ];
    for (const table of carried) {
      next.tables.push(table);
      next.rows += table.rows;
    }
    if (next.rows > 0) {
      next.openedAtMs = nowMs;
      next.firstEventMs = open.lastEventMs;
      next.lastEventMs = open.lastEventMs;
    }
    attached.open = next;
  }

  private fromCheckpoint(checkpoint: Checkpoint, version: LoadedVersion): OpenWindow {
    const bytes = Buffer.from(checkpoint.rows, 'base64');
    const values = new Float64Array(bytes.length / 8);
    for (let i = 0; i < values.length; i++) values[i] = bytes.readDoubleLE(i * 8);
    const schema = version.state.schema;
    const cols = schema.names.length;
    const columns = schema.names.map((_, c) => {
      const column = new Float64Array(checkpoint.rowCount);
      for (let r = 0; r < checkpoint.rowCount; r++) column[r] = values[r * cols + c]!;
      return column;
    });
    const table: FeatureTable = { ...schema, columns, rows: checkpoint.rowCount };
    return {
      tables: [table],
      rows: checkpoint.rowCount,
      events: checkpoint.events,
      requestIds: [...checkpoint.requestIds],
      requestIdCount: checkpoint.requestIdCount,
      openedAtMs: checkpoint.openedAtMs,
      firstEventMs: checkpoint.firstEventMs,
      lastEventMs: checkpoint.lastEventMs,
    };
  }
}
