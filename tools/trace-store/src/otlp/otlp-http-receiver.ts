/**
 * An OTLP/HTTP trace receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp) on
 * node:http: `POST /v1/traces` with a protobuf or JSON ExportTraceServiceRequest, plain or
 * gzip. Answers as the specification says:
 * - 200 with an ExportTraceServiceResponse in the request's encoding; `partial_success`
 *   set with the count and the first reason when spans were refused (the sender must not
 *   retry those);
 * - 400 for a body that cannot be decoded, 413 for one over the size limit, 415 for an
 *   unknown Content-Type or Content-Encoding, 404 and 405 for other paths and methods, 503
 *   with Retry-After while `maxConcurrentExports` are being handled (a retryable answer);
 *   every failure body is a google.rpc.Status with a sentence.
 *
 * The size limit (`maxBodyBytes`) applies to the bytes received and again to the body
 * after gunzip, so a small compressed bomb cannot grow past it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { StoredSpan } from '../store/stored-span.js';
import type { AddResult } from '../store/trace-store.js';
import {
  decodeExportRequest,
  encodeExportResponse,
  encodeFailureStatus,
  OTLP_CONTENT_TYPES,
  OtlpDecodeError,
  type OtlpEncoding,
} from './otlp-body.js';
import { spansFromExportRequest } from './otlp-span-conversion.js';

const gunzipAsync = promisify(gunzip);

/** Seconds a sender is asked to wait when the receiver is busy (503). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** The path OTLP/HTTP senders post traces to by default. */
export const OTLP_TRACES_PATH = '/v1/traces';

/** Where received spans go: the trace store. */
export interface SpanSink {
  add(spans: readonly StoredSpan[]): AddResult;
  /** Counts spans refused before they reached the sink. */
  countRejected(spans: number): void;
}

/** What the receiver tells its observer about each export (metrics, debug logs). */
export interface ExportOutcome {
  readonly accepted: number;
  readonly rejected: number;
  readonly encoding: OtlpEncoding;
}

/** Options of {@link startOtlpHttpReceiver}. */
export interface OtlpHttpReceiverOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest body accepted, in bytes, both as received and after gunzip; larger is 413. */
  readonly maxBodyBytes: number;
  /** Exports handled at once; more are answered 503 with Retry-After (OTLP senders retry). */
  readonly maxConcurrentExports: number;
  readonly sink: SpanSink;
  readonly onExport?: (outcome: ExportOutcome) => void;
  /** Told of a refused request (4xx: bad body, size, type; 503: too many at once), with the status and sentence. */
  readonly onRefused?: (status: number, message: string) => void;
}

/** A listening receiver. */
export interface OtlpHttpReceiver {
  readonly port: number;
  /** `http://host:port`, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  readonly endpoint: string;
  close(): Promise<void>;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === OTLP_CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === OTLP_CONTENT_TYPES.json) return 'json';
  return undefined;
}

function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    return Promise.reject(
      new HttpRefusal(
        413,
        `the body is ${declared} bytes; this receiver takes at most ${maxBodyBytes} (--max-otlp-body-bytes)`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        request.off('data', onData);
        // Stop reading: the rest is drained by closing the connection after the answer.
        request.pause();
        reject(new HttpRefusal(413, `the body is over ${maxBodyBytes} bytes (--max-otlp-body-bytes)`));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks, size)));
    request.once('error', reject);
    // A sender that goes away mid-body must not hold its export slot: after 'end' this is a no-op.
    request.once('close', () => reject(new HttpRefusal(400, 'the connection closed before the body ended')));
  });
}

async function decompress(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBodyBytes: number,
): Promise<Buffer> {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  if (coding !== 'gzip') {
    throw new HttpRefusal(
      415,
      `Content-Encoding ${JSON.stringify(coding.slice(0, 64))} is not supported; send gzip or none`,
    );
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new HttpRefusal(
        413,
        `the body is over ${maxBodyBytes} bytes after gunzip (--max-otlp-body-bytes)`,
      );
    }
    throw new HttpRefusal(400, `the gzip body cannot be decompressed: ${(error as Error).message}`);
  }
}

/** Starts the receiver; resolves once it listens. */
export async function startOtlpHttpReceiver(options: OtlpHttpReceiverOptions): Promise<OtlpHttpReceiver> {
  let inFlight = 0;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Failures answer in the request's encoding when it has one we know, else JSON (curl).
    const encoding = encodingOf(request.headers['content-type']);
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      options.onRefused?.(status, message);
      const replyEncoding = encoding ?? 'json';
      response.writeHead(status, { 'content-type': OTLP_CONTENT_TYPES[replyEncoding], ...headers });
      response.end(encodeFailureStatus(replyEncoding, message));
    };
    const path = (request.url ?? '').split('?')[0];
    if (path !== OTLP_TRACES_PATH) {
      fail(404, `no such path; POST traces to ${OTLP_TRACES_PATH} (this receiver takes traces only)`);
      return;
    }
    if (request.method !== 'POST') {
      fail(405, `${OTLP_TRACES_PATH} takes POST only`, { allow: 'POST' });
      return;
    }
    if (encoding === undefined) {
      fail(415, `Content-Type must be ${OTLP_CONTENT_TYPES.protobuf} or ${OTLP_CONTENT_TYPES.json}`);
      return;
    }
    if (inFlight >= options.maxConcurrentExports) {
      fail(503, `${inFlight} exports are being handled (--max-concurrent-exports); retry`, {
        'retry-after': String(BUSY_RETRY_AFTER_SECONDS),
        connection: 'close',
      });
      return;
    }
    inFlight += 1;
    try {
      const wire = await readBody(request, options.maxBodyBytes);
      const body = await decompress(wire, request.headers['content-encoding'], options.maxBodyBytes);
      const exported = decodeExportRequest(body, encoding);
      const converted = spansFromExportRequest(exported);
      options.sink.countRejected(converted.rejected);
      const added = options.sink.add(converted.spans);
      const rejected = converted.rejected + added.rejected;
      options.onExport?.({ accepted: added.accepted, rejected, encoding });
      const reasons = [
        converted.firstProblem,
        added.rejected > 0
          ? `${added.rejected} span(s) over the per-trace limit (--max-spans or --max-bytes)`
          : undefined,
      ].filter((reason) => reason !== undefined);
      response.writeHead(200, { 'content-type': OTLP_CONTENT_TYPES[encoding] });
      response.end(
        encodeExportResponse(
          encoding,
          rejected > 0 ? { rejectedSpans: rejected, errorMessage: reasons.join('; ') } : undefined,
        ),
      );
    } catch (error) {
      if (error instanceof HttpRefusal) {
        // A refused body may still be arriving: close the connection rather than read it.
        fail(error.status, error.message, error.status === 413 ? { connection: 'close' } : {});
      } else if (error instanceof OtlpDecodeError) {
        fail(400, error.message);
      } else {
        throw error;
      }
    } finally {
      inFlight -= 1;
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': OTLP_CONTENT_TYPES.json });
        response.end(encodeFailureStatus('json', `the receiver failed: ${(error as Error).message}`));
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    endpoint: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Exporters keep connections alive; idle ones would hold close() open.
        server.closeIdleConnections();
      }),
  };
}
