/**
 * OTLP/HTTP bodies in both encodings the specification defines: binary protobuf
 * (`application/x-protobuf`) and protobuf's JSON mapping with OTLP's deviations
 * (`application/json`): trace and span ids as hex, not base64; enums as integers;
 * lowerCamelCase keys; unknown fields ignored.
 */
import { googleRpc, otlpCollectorTraceV1 } from '@sightline/contracts/otlp';

/** The two OTLP/HTTP payload encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The Content-Type of each encoding, as the specification names them. */
export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** A body that cannot be decoded: the receiver answers 400 with this sentence. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** One zero byte in base64: no id has length 1, so a malformed hex id is refused downstream. */
const MALFORMED_ID_BASE64 = 'AA==';

/**
 * Rewrites one span or link's hex ids as the base64 that protobuf's standard JSON mapping
 * (and so the generated fromJSON) reads. An id that is not hex becomes one byte, which the
 * span conversion refuses by length, so it is reported, never silently misread as base64.
 */
function hexIdsToBase64(item: unknown): void {
  if (item === null || typeof item !== 'object') return;
  const record = item as Record<string, unknown>;
  for (const key of ['traceId', 'spanId', 'parentSpanId']) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    record[key] =
      typeof value === 'string' && HEX.test(value)
        ? Buffer.from(value, 'hex').toString('base64')
        : MALFORMED_ID_BASE64;
  }
}

function arrayAt(record: unknown, key: string): unknown[] {
  if (record === null || typeof record !== 'object') return [];
  const value = (record as Record<string, unknown>)[key];
  return Array.isArray(value) ? value : [];
}

/** Decodes an ExportTraceServiceRequest; throws {@link OtlpDecodeError} with the reason. */
export function decodeExportRequest(
  body: Buffer,
  encoding: OtlpEncoding,
): otlpCollectorTraceV1.ExportTraceServiceRequest {
  if (encoding === 'protobuf') {
    try {
      return otlpCollectorTraceV1.ExportTraceServiceRequest.decode(body);
    } catch (error) {
      throw new OtlpDecodeError(
        `the body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
      );
    }
  }
  let tree: unknown;
  try {
    tree = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`the body is not JSON: ${(error as Error).message}`);
  }
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    throw new OtlpDecodeError('the body is not a JSON ExportTraceServiceRequest object');
  }
  for (const resourceSpans of arrayAt(tree, 'resourceSpans')) {
    for (const scopeSpans of arrayAt(resourceSpans, 'scopeSpans')) {
      for (const span of arrayAt(scopeSpans, 'spans')) {
        hexIdsToBase64(span);
        for (const link of arrayAt(span, 'links')) hexIdsToBase64(link);
      }
    }
  }
  try {
    return otlpCollectorTraceV1.ExportTraceServiceRequest.fromJSON(tree);
  } catch (error) {
    // fromJSON throws on values it cannot convert (an int64 that is not an integer).
    throw new OtlpDecodeError(`the JSON is not an ExportTraceServiceRequest: ${(error as Error).message}`);
  }
}

/** The success answer; with rejected spans or a message, a partial success. */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  partial?: { readonly rejectedSpans: number; readonly errorMessage: string },
): Buffer {
  const response: otlpCollectorTraceV1.ExportTraceServiceResponse = partial
    ? { partialSuccess: { rejectedSpans: BigInt(partial.rejectedSpans), errorMessage: partial.errorMessage } }
    : {};
  if (encoding === 'protobuf') {
    return Buffer.from(otlpCollectorTraceV1.ExportTraceServiceResponse.encode(response).finish());
  }
  const json = otlpCollectorTraceV1.ExportTraceServiceResponse.toJSON(response);
  return Buffer.from(JSON.stringify(json));
}

/** The body of a 4xx/5xx answer: a google.rpc.Status with the sentence. */
export function encodeFailureStatus(encoding: OtlpEncoding, message: string): Buffer {
  const status: googleRpc.Status = { code: 0, message, details: [] };
  if (encoding === 'protobuf') return Buffer.from(googleRpc.Status.encode(status).finish());
  return Buffer.from(JSON.stringify(googleRpc.Status.toJSON(status)));
}
