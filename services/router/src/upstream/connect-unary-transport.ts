/**
 * The {@link UnaryTransport} over `@connectrpc/connect-node`'s gRPC client: the pieces its
 * `createGrpcTransport` is built from (the node:http2 universal client on an
 * `Http2SessionManager`, gRPC request headers, envelope splitting, response and trailer
 * validation), without the protobuf (de)serialization a `Transport` runs per call through a
 * message descriptor: the router has the request's bytes and wants the answer's bytes.
 * Those pieces are marked internal by connect (no semver): the version is pinned.
 *
 * One session per target, as connect's transport keeps one: the host name is resolved when
 * a connection opens, with no round-robin over a name's addresses (the hand-written channel
 * and grpc-js spread calls; see {@link Http2UnaryChannel}).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import {
  createAsyncIterable,
  encodeEnvelope,
  pipeTo,
  sinkAll,
  transformSplitEnvelope,
  type UniversalClientFn,
} from '@connectrpc/connect/protocol';
import { requestHeader, validateResponse, validateTrailer } from '@connectrpc/connect/protocol-grpc';
import { createNodeHttpClient, Http2SessionManager } from '@connectrpc/connect-node';
import { status } from '@grpc/grpc-js';
import { UnaryCallError } from './grpc-call-status.js';
import { GRPC_TIMEOUT_MAX_DIGITS } from './grpc-timeout.js';
import { parseHttp2Target } from './http2-target.js';
import type { UnaryTransport, UnaryTransportCallOptions } from './unary-transport.js';
import { explainUpstreamTlsError, type UpstreamTlsMaterial } from './upstream-tls.js';

/** Longest deadline written in ms into `grpc-timeout` (connect writes ms only); longer: none. */
const MAX_TIMEOUT_MS = 10 ** GRPC_TIMEOUT_MAX_DIGITS - 1;

/** Settings of a connect transport. */
export interface ConnectUnaryTransportOptions {
  /** Largest message sent, in bytes (RESOURCE_EXHAUSTED above). */
  readonly maxSendMessageBytes: number;
  /** Largest message received, in bytes (RESOURCE_EXHAUSTED above). */
  readonly maxReceiveMessageBytes: number;
  /**
   * HTTP/2 PING interval on a connection with calls, in ms (undefined: no pings). Refused
   * ({@link CONNECT_KEEPALIVE_UNSUPPORTED}).
   */
  readonly keepaliveTimeMs?: number | undefined;
  /** How long a PING may go unanswered before the connection is closed, in ms. */
  readonly keepaliveTimeoutMs?: number | undefined;
  /** TLS settings (undefined: plaintext h2c). */
  readonly tls?: UpstreamTlsMaterial | undefined;
}

/** Whether `error` is a failure to open the connection (connect or name lookup). */
function neverConnected(error: ConnectError): boolean {
  const syscall = (error.cause as { syscall?: unknown } | undefined)?.syscall;
  return error.code === Code.Unavailable && (syscall === 'connect' || syscall === 'getaddrinfo');
}

/**
 * Why the connect transport refuses keepalive: in 2.1.1, the last release of
 * `@connectrpc/connect-node` for Node 20, a PING that times out destroys the session after
 * its error listener is gone, and the error is thrown uncaught (the process would exit).
 * 2.2.0 fixes it and needs Node 22.
 */
export const CONNECT_KEEPALIVE_UNSUPPORTED =
  '--upstream-keepalive-time-ms with --upstream-client connect: @connectrpc/connect-node 2.1.1 (the last release for Node 20) throws an uncaught error when a PING times out; use --upstream-client http2 or grpc-js';

/**
 * A failure connect reads as INTERNAL but grpc-js (and the other clients) as UNAVAILABLE: a
 * Node error under it that is no stream reset (a TLS alert or verification failure, a
 * dropped socket), or a stream the server refused (never processed). Undefined otherwise.
 */
function transportFailure(error: ConnectError): UnaryCallError | undefined {
  if (error.code !== Code.Internal) return undefined;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code !== 'string') return undefined;
  if (cause.code !== 'ERR_HTTP2_STREAM_ERROR') {
    return new UnaryCallError(status.UNAVAILABLE, `Connection dropped: ${error.rawMessage}`);
  }
  if (String(cause.message).includes('NGHTTP2_REFUSED_STREAM')) {
    return new UnaryCallError(status.UNAVAILABLE, 'Stream refused by server', true);
  }
  return undefined;
}

/** The first Node error (one with a string `code`) in `error`'s cause chain, a few levels deep. */
function nodeErrorIn(error: unknown): Error | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (typeof (current as NodeJS.ErrnoException).code === 'string') return current;
    current = current.cause;
  }
  return undefined;
}

/** The transport. */
export class ConnectUnaryTransport implements UnaryTransport {
  private readonly baseUrl: string;
  private readonly sessions: Http2SessionManager;
  private readonly client: UniversalClientFn;
  private closed = false;

  /** Whether `target` is one this transport handles (`host:port`, `dns:` forms; else use grpc-js). */
  static supports(target: string): boolean {
    return parseHttp2Target(target) !== undefined;
  }

  /** @throws Error when {@link supports} says no. */
  constructor(
    target: string,
    private readonly options: ConnectUnaryTransportOptions,
  ) {
    const parsed = parseHttp2Target(target);
    if (!parsed) throw new Error(`target "${target}": not a host:port the connect transport handles`);
    if (options.keepaliveTimeMs !== undefined) throw new Error(CONNECT_KEEPALIVE_UNSUPPORTED);
    this.baseUrl = `${options.tls ? 'https' : 'http'}://${parsed.authority}`;
    this.sessions = new Http2SessionManager(
      this.baseUrl,
      {},
      {
        // As grpc-js and the hand-written channel set them: see http2-connection.ts.
        maxSessionMemory: Number.MAX_SAFE_INTEGER,
        maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
        ...(options.tls && { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key }),
      },
    );
    this.client = createNodeHttpClient({ httpVersion: '2', sessionProvider: () => this.sessions });
  }

  async call(path: string, message: Uint8Array, options: UnaryTransportCallOptions): Promise<Buffer> {
    if (this.closed) throw new UnaryCallError(status.UNAVAILABLE, 'Channel has been shut down');
    if (message.length > this.options.maxSendMessageBytes) {
      throw new UnaryCallError(
        status.RESOURCE_EXHAUSTED,
        `Attempted to send message with a size larger than ${this.options.maxSendMessageBytes}`,
      );
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timeoutMs: number | undefined;
    if (Number.isFinite(options.deadlineMs)) {
      const left = Math.max(0, Math.ceil(options.deadlineMs - Date.now()));
      if (left <= MAX_TIMEOUT_MS) {
        timeoutMs = left;
        timer = setTimeout(
          () => controller.abort(new ConnectError('Deadline exceeded', Code.DeadlineExceeded)),
          left,
        );
      }
    }
    const stopListening = options.cancellation.onCancel(() =>
      controller.abort(new ConnectError('Cancelled on client', Code.Canceled)),
    );
    try {
      const response = await this.client({
        url: this.baseUrl + path,
        method: 'POST',
        header: requestHeader(true, timeoutMs, options.headers),
        signal: controller.signal,
        body: createAsyncIterable([encodeEnvelope(0, message)]),
      });
      const { headerError } = validateResponse(response.status, response.header);
      const envelopes = await pipeTo(
        response.body,
        transformSplitEnvelope(this.options.maxReceiveMessageBytes),
        sinkAll(),
        { propagateDownStreamError: false },
      );
      validateTrailer(response.trailer, response.header);
      if (headerError) throw headerError;
      if (envelopes.length !== 1) {
        // grpc-js's codes and wording (connect's own transport says UNIMPLEMENTED for two).
        throw new UnaryCallError(
          status.INTERNAL,
          envelopes.length === 0 ? 'No message received' : 'Too many responses received',
        );
      }
      const envelope = envelopes[0]!;
      if (envelope.flags !== 0) {
        throw new UnaryCallError(
          status.INTERNAL,
          'Received compressed message but "grpc-encoding" header was identity',
        );
      }
      const data = envelope.data;
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if (error instanceof UnaryCallError) throw error;
      // Connect's codes are gRPC's; the upstream's grpc-message is the raw message.
      const connectError = ConnectError.from(controller.signal.reason ?? error);
      const untrusted = this.untrustedCertificate(connectError);
      if (untrusted) throw new UnaryCallError(status.UNAVAILABLE, `Connection dropped: ${untrusted}`);
      if (neverConnected(connectError)) {
        // Worded as grpc-js's round_robin policy words it, as the other clients do.
        throw new UnaryCallError(
          status.UNAVAILABLE,
          `round_robin: No connection established. Last error: ${connectError.rawMessage}`,
          true,
        );
      }
      throw (
        transportFailure(connectError) ??
        new UnaryCallError(connectError.code as number as status, connectError.rawMessage)
      );
    } finally {
      if (timer) clearTimeout(timer);
      stopListening();
    }
  }

  /**
   * The sentence naming the setting that decides the trust (as the other clients word it)
   * when `error` is a TLS verification failure; undefined otherwise.
   */
  private untrustedCertificate(error: ConnectError): string | undefined {
    const tls = this.options.tls;
    const cause = tls && nodeErrorIn(error.cause);
    if (!tls || !cause) return undefined;
    const explained = explainUpstreamTlsError(cause, tls);
    return explained === cause ? undefined : explained.message;
  }

  close(): void {
    this.closed = true;
    this.sessions.abort(new ConnectError('Channel has been shut down', Code.Unavailable));
  }
}
