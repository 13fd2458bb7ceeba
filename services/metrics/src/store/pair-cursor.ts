/**
 * The `joinedPairs` cursor: the position (prediction time, event id, row) of the last pair a
 * page returned, as opaque base64url text. Paging by position rather than offset stays
 * complete and ordered while new pairs are written.
 */
import { InvalidArgumentError } from '@sightline/errors';

export interface PairPosition {
  readonly predictionMs: number;
  readonly eventId: string;
  readonly row: number;
}

export function encodePairCursor(position: PairPosition): string {
  return Buffer.from(JSON.stringify([position.predictionMs, position.eventId, position.row])).toString(
    'base64url',
  );
}

export function decodePairCursor(cursor: string): PairPosition {
  try {
    const [predictionMs, eventId, row] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
      unknown,
    ];
    if (Number.isSafeInteger(predictionMs) && typeof eventId === 'string' && Number.isSafeInteger(row))
      return { predictionMs: predictionMs as number, eventId, row: row as number };
  } catch {
    // Falls through to the error below: a cursor that does not parse is a caller's mistake.
  }
  throw new InvalidArgumentError('cursor: must be the `next` value of a previous page.', { field: 'cursor' });
}
