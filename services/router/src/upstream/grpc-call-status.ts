/**
 * A finished call's status as the HTTP/2 channel reads it: `grpc-message` percent-decoding,
 * the HTTP-to-gRPC status mapping (doc/http-grpc-status-mapping.md) and the error a failed
 * call rejects with. The codes and wording follow grpc-js, so {@link fromServiceError}
 * turns either client's failure into the same domain error.
 */
import { status } from '@grpc/grpc-js';

/** A failed call: the gRPC status code and its details (grpc-js's ServiceError shape). */
export class UnaryCallError extends Error {
  /**
   * @param code gRPC status code.
   * @param details the status message.
   * @param unprocessed true when the upstream never saw the call (refused stream, no
   *   connection), so sending it again cannot run it twice.
   */
  constructor(
    readonly code: status,
    readonly details: string,
    readonly unprocessed = false,
  ) {
    super(`${code} ${status[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'UnaryCallError';
  }
}

/** The gRPC status of a response without `grpc-status`, from its HTTP status. */
export function statusOfHttpCode(httpStatus: number): UnaryCallError {
  let code: status;
  switch (httpStatus) {
    case 400:
      code = status.INTERNAL;
      break;
    case 401:
      code = status.UNAUTHENTICATED;
      break;
    case 403:
      code = status.PERMISSION_DENIED;
      break;
    case 404:
      code = status.UNIMPLEMENTED;
      break;
    case 429:
    case 502:
    case 503:
    case 504:
      code = status.UNAVAILABLE;
      break;
    default:
      code = status.UNKNOWN;
  }
  return new UnaryCallError(code, `Received HTTP status code ${httpStatus}`);
}

const HEX = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A `grpc-message` value decoded: `%XX` sequences are bytes, the result UTF-8. As the spec
 * asks, a value that does not decode (a stray `%`, invalid UTF-8) is never an error: a
 * stray `%` stays as it is, and invalid UTF-8 gives the raw value back.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && HEX.test(value.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(value[i]!, 'latin1')) bytes.push(b);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return value;
  }
}

/**
 * `message` encoded as the spec writes `grpc-message`: its UTF-8 bytes, those outside
 * printable ASCII (0x20-0x7E) and `%` itself as `%XX`.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) {
    out +=
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
