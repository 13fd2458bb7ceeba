import { open } from 'node:fs/promises';
import { type ScannedLine, scanLines } from './record-format.js';

/** The read size for segment and spill files. */
export const READ_CHUNK_BYTES = 1 << 20;

/** What a full read of a file found beyond its lines. */
export interface ReadSummary {
  /** The offset just past the last complete line: where a torn tail starts. */
  validEnd: number;
  /** Bytes after `validEnd` that form no complete line (a torn last record). */
  tornBytes: number;
}

/**
 * Reads the complete lines of a file in chunks, from `start` up to `end` (default: the
 * file's size when opened, so a concurrent append is never half-read).
 * `summary` is filled in when the iteration finishes.
 */
export async function* readLines(
  path: string,
  summary: ReadSummary = { validEnd: 0, tornBytes: 0 },
  start = 0,
  end?: number,
): AsyncGenerator<ScannedLine> {
  const fh = await open(path, 'r');
  try {
    const limit = end ?? (await fh.stat()).size;
    let buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let filled = 0;
    let fileOffset = start;
    let bufferOffset = start;
    summary.validEnd = start;
    while (fileOffset < limit) {
      if (filled === buffer.length) {
        // One line longer than the buffer: grow it so the line fits.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const want = Math.min(buffer.length - filled, limit - fileOffset);
      const { bytesRead } = await fh.read(buffer, filled, want, fileOffset);
      if (bytesRead === 0) break;
      filled += bytesRead;
      fileOffset += bytesRead;
      const { lines, consumed } = scanLines(buffer.subarray(0, filled), bufferOffset);
      for (const line of lines) yield line;
      if (consumed > 0) {
        buffer.copy(buffer, 0, consumed, filled);
        filled -= consumed;
        bufferOffset += consumed;
        summary.validEnd = bufferOffset;
      }
    }
    summary.tornBytes = filled;
  } finally {
    await fh.close();
  }
}
