/**
 * Opaque page tokens: the position to resume after, signed (HMAC-SHA256) with the service's key
 * and bound to the query that issued it, so a token this service did not issue, or one issued
 * for another query, is refused rather than silently read as a position.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@sightline/errors';

/** Bytes of a generated key. */
const KEY_BYTES = 32;
/** Bytes of the signature kept in the token. */
const SIGNATURE_BYTES = 16;

export class PageTokens {
  readonly #key: Buffer;

  /**
   * @param key the signing key; default a random key per process (tokens then do not survive a
   * restart: a client resumes from the start, as after any INVALID_ARGUMENT token).
   */
  constructor(key: Buffer = randomBytes(KEY_BYTES)) {
    this.#key = key;
  }

  /** A token for resuming after `position` in the query named by `query`. */
  issue(query: string, position: readonly string[]): string {
    const body = Buffer.from(JSON.stringify(position), 'utf8');
    return Buffer.concat([this.#sign(query, body), body]).toString('base64url');
  }

  /**
   * The position a token resumes after.
   * @throws InvalidArgumentError naming `field` for a token not issued by this service for this query.
   */
  read(token: string, query: string, field = 'page_token'): string[] {
    const raw = Buffer.from(token, 'base64url');
    const signature = raw.subarray(0, SIGNATURE_BYTES);
    const body = raw.subarray(SIGNATURE_BYTES);
    const expected = this.#sign(query, body);
    if (signature.length !== SIGNATURE_BYTES || !timingSafeEqual(signature, expected)) {
      throw new InvalidArgumentError(
        `${field}: not a token this service issued for this query (pass a previous response's next_page_token with the same filters, or none)`,
      );
    }
    return JSON.parse(body.toString('utf8')) as string[];
  }

  #sign(query: string, body: Buffer): Buffer {
    return createHmac('sha256', this.#key)
      .update(query)
      .update('\u0000')
      .update(body)
      .digest()
      .subarray(0, SIGNATURE_BYTES);
  }
}
