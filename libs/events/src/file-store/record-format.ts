import { crc32 } from '../crc32.js';

/**
 * The line format shared by event segments and spill files (see README "File format"):
 *
 *   #sightline-events <header JSON>\n      first line: format name and schemaVersion
 *   <crc32, 8 lower-case hex> <record JSON>\n   one line per record
 *
 * The CRC covers the record JSON's UTF-8 bytes. A line without its newline (a write
 * torn by a crash) or with a CRC mismatch is skipped by readers and cut off by recovery.
 */

/** The format version written in every header; readers refuse newer versions. */
export const SCHEMA_VERSION = 1;

/** The first bytes of every file in this format. */
export const HEADER_PREFIX = '#sightline-events ';

/** The header of a segment or spill file. */
export interface FileHeader {
  /** The format version ({@link SCHEMA_VERSION}). */
  readonly schemaVersion: number;
  /** What the file holds: `segment` (event store) or `spill` (pipeline spill). */
  readonly kind: 'segment' | 'spill';
  /** When the file was created, in milliseconds since the epoch. */
  readonly createdUnixMs: number;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const CRC_HEX_LENGTH = 8;
const HEX = '0123456789abcdef';

/** Encodes the header line. */
export function encodeHeader(header: FileHeader): Buffer {
  return Buffer.from(`${HEADER_PREFIX}${JSON.stringify(header)}\n`, 'utf8');
}

/**
 * Parses a header line (without its newline).
 * @returns the header, or an error sentence naming what is wrong.
 */
export function parseHeader(line: string): FileHeader | string {
  if (!line.startsWith(HEADER_PREFIX)) return `missing "${HEADER_PREFIX.trim()}" header`;
  let header: FileHeader;
  try {
    header = JSON.parse(line.slice(HEADER_PREFIX.length)) as FileHeader;
  } catch {
    return 'header is not valid JSON';
  }
  if (typeof header.schemaVersion !== 'number' || header.schemaVersion > SCHEMA_VERSION) {
    return `schemaVersion ${header.schemaVersion} is not supported (this build reads up to ${SCHEMA_VERSION})`;
  }
  return header;
}

/**
 * Encodes records (already-serialized JSON strings) as CRC-prefixed lines into one
 * buffer: a single allocation per batch, CRC computed in place over the written bytes.
 */
export function encodeRecords(jsons: readonly string[]): Buffer {
  let total = 0;
  for (const json of jsons) total += CRC_HEX_LENGTH + 2 + Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const json of jsons) {
    const start = pos + CRC_HEX_LENGTH + 1;
    const end = start + out.write(json, start, 'utf8');
    let crc = crc32(out, start, end);
    for (let i = CRC_HEX_LENGTH - 1; i >= 0; i--) {
      out[pos + i] = HEX.charCodeAt(crc & 0xf);
      crc >>>= 4;
    }
    out[pos + CRC_HEX_LENGTH] = SPACE;
    out[end] = NEWLINE;
    pos = end + 1;
  }
  return out;
}

/** One line found by {@link scanLines}. */
export type ScannedLine =
  | { readonly kind: 'record'; readonly offset: number; readonly end: number; readonly json: string }
  | { readonly kind: 'header'; readonly offset: number; readonly end: number; readonly text: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly end: number };

/**
 * Splits complete lines out of `chunk` (which starts at file offset `baseOffset`).
 * @returns the lines and how many bytes of `chunk` they consumed; the rest is an
 * incomplete line the caller carries into the next read (or, at end of file, a torn record).
 */
export function scanLines(chunk: Buffer, baseOffset: number): { lines: ScannedLine[]; consumed: number } {
  const lines: ScannedLine[] = [];
  let pos = 0;
  for (;;) {
    const nl = chunk.indexOf(NEWLINE, pos);
    if (nl < 0) break;
    const offset = baseOffset + pos;
    const end = baseOffset + nl + 1;
    if (chunk[pos] === 0x23 /* '#' */) {
      lines.push({ kind: 'header', offset, end, text: chunk.toString('utf8', pos, nl) });
    } else if (nl - pos > CRC_HEX_LENGTH + 1 && chunk[pos + CRC_HEX_LENGTH] === SPACE) {
      const expected = Number.parseInt(chunk.toString('latin1', pos, pos + CRC_HEX_LENGTH), 16);
      const actual = crc32(chunk, pos + CRC_HEX_LENGTH + 1, nl);
      if (expected === actual) {
        lines.push({
          kind: 'record',
          offset,
          end,
          json: chunk.toString('utf8', pos + CRC_HEX_LENGTH + 1, nl),
        });
      } else {
        lines.push({ kind: 'corrupt', offset, end });
      }
    } else {
      lines.push({ kind: 'corrupt', offset, end });
    }
    pos = nl + 1;
  }
  return { lines, consumed: pos };
}
