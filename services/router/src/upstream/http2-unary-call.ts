/**
 * One unary call on an HTTP/2 session (gRPC over HTTP/2): HEADERS and one length-prefixed
 * DATA frame out, then the status from the trailers (or from the headers of a
 * Trailers-Only answer), the one message, a local deadline and the caller's cancellation.
 * Failures reject with {@link UnaryCallError}, coded and worded as grpc-js words them.
 */
import http2, {
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { status } from '@grpc/grpc-js';
import type { Cancellation } from '@sightline/errors';
import { atDeadline } from './deadline-timer.js';
import { decodeGrpcMessage, statusOfHttpCode, UnaryCallError } from './grpc-call-status.js';
import { UnaryMessageReader } from './grpc-message-reader.js';
import { Http2Connection, type SessionState } from './http2-connection.js';

const {
  NGHTTP2_CANCEL,
  NGHTTP2_NO_ERROR,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INADEQUATE_SECURITY,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_FLAG_END_STREAM,
} = http2.constants;

/** What one call sends and how long it may take. */
export interface UnaryCallRequest {
  /** The request HEADERS (pseudo-headers, gRPC headers, the caller's metadata). */
  readonly headers: OutgoingHttpHeaders;
  /** The framed message (prefix included). */
  readonly frame: Buffer;
  /** Epoch ms; Infinity for none. */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  readonly maxReceiveMessageBytes: number;
}

function deadlineError(startMs: number, peer: string): UnaryCallError {
  const seconds = ((Date.now() - startMs) / 1000).toFixed(3);
  return new UnaryCallError(
    status.DEADLINE_EXCEEDED,
    `Deadline exceeded after ${seconds}s,remote_addr=${peer}`,
  );
}

/** The status of a stream that closed without one. */
function statusOfClosedStream(
  stream: ClientHttp2Stream,
  state: SessionState,
  httpStatus: number | undefined,
  streamError: (Error & { code?: string }) | undefined,
): UnaryCallError {
  if (!state.connected) {
    // A stream cancelled by a failed handshake carries the handshake's error as its cause.
    const cause = streamError?.cause instanceof Error ? state.explain(streamError.cause) : streamError;
    const reason = state.error ?? cause;
    // Worded as grpc-js's round_robin policy (the grpc-js channels' policy) words it.
    return new UnaryCallError(
      status.UNAVAILABLE,
      `round_robin: No connection established. Last error: ${reason ? reason.message : 'connection closed'}`,
    );
  }
  if (streamError?.code === 'ERR_HTTP2_GOAWAY_SESSION') {
    // Opened after the server's GOAWAY: it never saw the call.
    return new UnaryCallError(
      status.UNAVAILABLE,
      'Connection closed by GOAWAY before the call was sent',
      true,
    );
  }
  if (streamError?.code === 'ERR_HTTP2_OUT_OF_STREAMS') {
    // The session ran out of stream ids (2^31 calls): never sent; a new session takes it.
    return new UnaryCallError(status.UNAVAILABLE, streamError.message, true);
  }
  const rstCode = stream.rstCode;
  switch (rstCode) {
    case NGHTTP2_NO_ERROR:
      if (httpStatus !== undefined && httpStatus !== 200) return statusOfHttpCode(httpStatus);
      if (state.lost) return new UnaryCallError(status.UNAVAILABLE, connectionDropped(state, streamError));
      return new UnaryCallError(
        status.INTERNAL,
        `Received RST_STREAM with code ${rstCode} (Call ended without gRPC status)`,
      );
    case NGHTTP2_REFUSED_STREAM:
      return new UnaryCallError(status.UNAVAILABLE, 'Stream refused by server', true);
    case NGHTTP2_CANCEL:
      // Node reports a dropped connection as a cancelled stream.
      if (state.lost) return new UnaryCallError(status.UNAVAILABLE, connectionDropped(state, streamError));
      return new UnaryCallError(status.CANCELLED, 'Call cancelled');
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return new UnaryCallError(status.RESOURCE_EXHAUSTED, 'Bandwidth exhausted or memory limit exceeded');
    case NGHTTP2_INADEQUATE_SECURITY:
      return new UnaryCallError(status.PERMISSION_DENIED, 'Protocol not secure enough');
    case NGHTTP2_INTERNAL_ERROR:
      if (streamError?.code === 'ECONNRESET' || streamError?.code === 'ETIMEDOUT') {
        return new UnaryCallError(status.UNAVAILABLE, streamError.message);
      }
      // The connection failed (a TLS alert, an unanswered keepalive PING), not the server's
      // reset of this stream: UNAVAILABLE, as grpc-js reads a transport failure.
      if (state.lost || (streamError !== undefined && streamError.code !== 'ERR_HTTP2_STREAM_ERROR')) {
        return new UnaryCallError(status.UNAVAILABLE, connectionDropped(state, streamError));
      }
      return new UnaryCallError(
        status.INTERNAL,
        `Received RST_STREAM with code ${rstCode} (Internal server error)`,
      );
    default:
      return new UnaryCallError(status.INTERNAL, `Received RST_STREAM with code ${rstCode}`);
  }
}

function connectionDropped(state: SessionState, streamError: Error | undefined): string {
  const reason = state.error ?? streamError;
  return reason ? `Connection dropped: ${reason.message}` : 'Connection dropped';
}

/** The status carried by `headers` (trailers, or Trailers-Only headers). */
function statusOfHeaders(
  headers: IncomingHttpHeaders,
  httpStatus: number | undefined,
): UnaryCallError | null {
  const code = headers['grpc-status'];
  if (typeof code === 'string') {
    const value = Number(code);
    const message = headers['grpc-message'];
    const details = typeof message === 'string' ? decodeGrpcMessage(message) : '';
    if (value === status.OK) return null;
    if (!Number.isInteger(value) || value < 0) {
      return new UnaryCallError(status.UNKNOWN, `Received invalid grpc-status "${code}": ${details}`);
    }
    return new UnaryCallError(value, details);
  }
  if (httpStatus !== undefined && httpStatus !== 200) return statusOfHttpCode(httpStatus);
  return new UnaryCallError(status.UNKNOWN, 'No status information received');
}

/** Runs one call on `connection`; resolves with the response message's bytes. */
export function runUnaryCall(connection: Http2Connection, request: UnaryCallRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const startMs = Date.now();
    const state = connection.open();
    let stream: ClientHttp2Stream;
    try {
      stream = state.session.request(request.headers);
    } catch (error) {
      // The session can take no stream (closing, out of stream ids): a new one will.
      connection.retire(state);
      reject(new UnaryCallError(status.UNAVAILABLE, (error as Error).message, true));
      return;
    }
    Http2Connection.callStarted(state);
    const reader = new UnaryMessageReader(request.maxReceiveMessageBytes);
    let settled = false;
    let stopTimer: (() => void) | undefined;
    let stopListening: (() => void) | undefined;
    let httpStatus: number | undefined;
    /** undefined: no status yet; null: OK. */
    let final: UnaryCallError | null | undefined;
    let streamError: (Error & { code?: string }) | undefined;

    const settle = (error: UnaryCallError | undefined, message?: Buffer) => {
      if (settled) return;
      settled = true;
      stopTimer?.();
      stopListening?.();
      Http2Connection.callEnded(state);
      if (error) reject(error);
      else resolve(message!);
    };
    const abort = (error: UnaryCallError) => {
      settle(error);
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    };

    stream.on('response', (headers, flags) => {
      httpStatus = headers[':status'];
      if (flags & NGHTTP2_FLAG_END_STREAM) final = statusOfHeaders(headers, httpStatus);
    });
    stream.on('trailers', (headers) => {
      final = statusOfHeaders(headers, httpStatus);
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk);
      } catch (error) {
        // An HTML error page read as a frame: the HTTP status says more (as grpc-js does).
        abort(
          httpStatus !== undefined && httpStatus !== 200
            ? statusOfHttpCode(httpStatus)
            : (error as UnaryCallError),
        );
      }
    });
    stream.on('error', (error: Error & { code?: string }) => {
      streamError ??= error;
      if (error.code === 'ERR_HTTP2_OUT_OF_STREAMS') connection.retire(state);
    });
    stream.on('close', () => {
      if (settled) return;
      if (final === undefined) return settle(statusOfClosedStream(stream, state, httpStatus, streamError));
      if (final !== null) return settle(final);
      let message: Buffer;
      try {
        message = reader.finish();
      } catch (error) {
        return settle(error as UnaryCallError);
      }
      settle(undefined, message);
    });

    if (Number.isFinite(request.deadlineMs)) {
      stopTimer = atDeadline(request.deadlineMs, () => {
        abort(deadlineError(startMs, connection.peer));
        connection.probe(state);
      });
    }
    // Registered last: it runs at once when the caller has already cancelled.
    if (!settled) {
      stopListening = request.cancellation.onCancel(() =>
        abort(new UnaryCallError(status.CANCELLED, 'Cancelled on client')),
      );
    }
    if (!settled) stream.end(request.frame);
  });
}
