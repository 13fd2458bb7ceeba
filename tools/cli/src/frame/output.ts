/**
 * The output layer every command prints through. A command returns its result once, with
 * two views of it: the JSON document (`--json`) and the human view (tables and fields). The
 * human view is drawn with cli-table3; colors only when stdout is a terminal and NO_COLOR is
 * unset, so piped output is plain text.
 */
import colors from '@colors/colors/safe.js';
import Table from 'cli-table3';
import { formatJsonDocument, toJsonValue } from './json-document.js';

/** A cell of a table: anything printable; bigints and typed arrays are formatted. */
export type Cell = string | number | bigint | boolean | null | undefined;

/** One block of the human view. */
export type Section =
  | {
      readonly kind: 'table';
      readonly title?: string;
      readonly columns: readonly string[];
      readonly rows: readonly (readonly Cell[])[];
    }
  | {
      readonly kind: 'fields';
      readonly title?: string;
      readonly fields: readonly (readonly [string, Cell])[];
    }
  | { readonly kind: 'text'; readonly text: string };

/** A table section. */
export function table(
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
  title?: string,
): Section {
  return { kind: 'table', columns, rows, ...(title === undefined ? {} : { title }) };
}

/** A list of `name  value` lines. */
export function fields(entries: readonly (readonly [string, Cell])[], title?: string): Section {
  return { kind: 'fields', fields: entries, ...(title === undefined ? {} : { title }) };
}

/** A line of text. */
export function text(line: string): Section {
  return { kind: 'text', text: line };
}

/** What a command prints: its JSON document and, lazily, its human view. */
export interface CommandResult {
  /** The one document `--json` prints. */
  readonly json: unknown;
  /** The tables and fields printed without `--json`. */
  readonly human: () => readonly Section[];
}

/** Where output goes and how it looks. */
export interface OutputSettings {
  /** Print the JSON document instead of the human view. */
  readonly json: boolean;
  /** Color the human view (headers, titles). */
  readonly color: boolean;
  /** Receives the printed text. */
  readonly write: (text: string) => void;
  /**
   * Resolves once the destination has taken what was written (at once unless it is backed
   * up, e.g. a pipe whose reader stopped reading), or when `signal` aborts. Unset: at once.
   * A stream such as `events tail --follow` awaits it before pulling its next item, so a
   * stalled reader stops the pulling (and gRPC flow control pushes back to the server)
   * instead of the CLI buffering everything in memory.
   */
  readonly drained?: (signal: AbortSignal) => Promise<void>;
}

/** True when a stream is a terminal and the environment does not ask for no color. */
export function shouldColor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** Formats one cell: empty for null/undefined, bigints as digits, everything else as text. */
export function formatCell(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return String(cell);
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
} as const;

function bold(text: string, color: boolean): string {
  return color ? `\u001b[1m${text}\u001b[22m` : text;
}

/** Renders the human view of sections as text. */
export function renderSections(sections: readonly Section[], color: boolean): string {
  // cli-table3 colors through @colors/colors, which guesses support once from the
  // environment (and says none under CI=true); this module's decision is the one that holds.
  (colors as { enabled: boolean }).enabled = color;
  const blocks: string[] = [];
  for (const section of sections) {
    if (section.kind === 'text') {
      blocks.push(section.text);
      continue;
    }
    const title = section.title === undefined ? '' : `${bold(section.title, color)}\n`;
    if (section.kind === 'table') {
      if (section.rows.length === 0) {
        blocks.push(`${title}(none)`);
        continue;
      }
      const drawn = new Table({
        head: [...section.columns],
        style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
      });
      for (const row of section.rows) drawn.push(row.map(formatCell));
      blocks.push(`${title}${drawn.toString()}`);
    } else {
      const drawn = new Table({
        chars: BORDERLESS,
        style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
      });
      for (const [name, value] of section.fields) drawn.push([bold(name, color), formatCell(value)]);
      blocks.push(
        `${title}${drawn
          .toString()
          .split('\n')
          .map((line) => line.trimEnd())
          .join('\n')}`,
      );
    }
  }
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

/** Prints command results as `--json` or as tables. */
export class Output {
  constructor(readonly settings: OutputSettings) {}

  /** True under `--json`. */
  get json(): boolean {
    return this.settings.json;
  }

  /** Prints a result: its JSON document under `--json`, else its human view. */
  print(result: CommandResult): void {
    this.settings.write(
      this.settings.json
        ? formatJsonDocument(result.json)
        : renderSections(result.human(), this.settings.color),
    );
  }

  /**
   * Prints one JSON document per line (`--json` on a stream such as `events tail
   * --follow`, where one document cannot be closed): NDJSON, documented per command.
   */
  printLine(value: unknown): void {
    this.settings.write(`${JSON.stringify(toJsonValue(value))}\n`);
  }

  /** See {@link OutputSettings.drained}: waits while the destination is backed up. */
  drained(signal: AbortSignal): Promise<void> {
    return this.settings.drained?.(signal) ?? Promise.resolve();
  }
}
