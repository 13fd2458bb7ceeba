import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeadlineExceededError,
  InvalidArgumentError,
  SightlineError,
  UnavailableError,
} from '@sightline/errors';
import type { ObjectSource, RemoteObject } from './object-source.js';

/** Buffer of each download's stream stages, in bytes: fewer hand-offs between the socket, the hash and the file. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** Limits and figures of one download. */
export interface DownloadOptions {
  /** Longest the whole file may take, in ms (--repository-download-timeout-ms). */
  readonly timeoutMs: number;
  /** Called with each chunk's size as it arrives (the download bytes metric). */
  readonly onBytes?: (count: number) => void;
}

/**
 * Streams one listed object to `target`, checking as it goes that no more than the listed
 * size arrives, and at the end that exactly that size arrived and the content matches the
 * listed checksum (MD5 of an S3 ETag, a manifest's SHA-256). `target` is removed on any
 * failure.
 *
 * @throws InvalidArgumentError for content that does not match its listing (refused until
 *   it changes); DeadlineExceededError past the timeout; UnavailableError for a connection
 *   or disk failure, naming the object.
 */
export async function downloadVerified(
  source: ObjectSource,
  object: RemoteObject,
  target: string,
  options: DownloadOptions,
): Promise<void> {
  const where = `${source.uri}${object.path}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const hash =
    object.checksum.kind === 'size-only'
      ? undefined
      : createHash(object.checksum.kind === 'md5' ? 'md5' : 'sha256');
  let received = 0;
  const meter = new Transform({
    highWaterMark: STREAM_BUFFER_BYTES,
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      options.onBytes?.(chunk.length);
      if (received > object.size) {
        done(new InvalidArgumentError(`${where}: more than the ${object.size} bytes listed arrived`));
        return;
      }
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const body = await source.open(object, signal);
    await pipeline(body, meter, createWriteStream(target, { highWaterMark: STREAM_BUFFER_BYTES }), {
      signal,
    });
    if (received !== object.size) {
      throw new InvalidArgumentError(`${where}: ${received} bytes arrived, ${object.size} were listed`);
    }
    if (hash !== undefined && object.checksum.kind !== 'size-only') {
      const actual = hash.digest('hex');
      if (actual !== object.checksum.hex) {
        throw new InvalidArgumentError(
          `${where}: checksum mismatch (${object.checksum.kind} ${actual}, expected ${object.checksum.hex}); refused`,
        );
      }
    }
  } catch (error) {
    await rm(target, { force: true });
    if (signal.aborted && !(error instanceof InvalidArgumentError)) {
      throw new DeadlineExceededError(
        `${where}: the download took longer than ${options.timeoutMs} ms (--repository-download-timeout-ms)`,
        { cause: error },
      );
    }
    // A connection reset or a disk error mid-stream: name the object it happened to.
    if (!(error instanceof SightlineError)) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UnavailableError(`${where}: download failed: ${reason}`, { cause: error });
    }
    throw error;
  }
}
