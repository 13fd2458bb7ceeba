import { gzipSync } from 'node:zlib';
import { googleRpc, otlpCollectorTraceV1 } from '@sightline/contracts/otlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceStore } from '../store/trace-store.js';
import { type OtlpHttpReceiver, startOtlpHttpReceiver } from './otlp-http-receiver.js';

const MAX_BODY_BYTES = 64 * 1024;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let store: TraceStore;
let receiver: OtlpHttpReceiver;
const refusals: number[] = [];

beforeAll(async () => {
  store = new TraceStore({ maxSpans: 1000, maxTraces: 100, maxBytes: 1e9, maxAgeMs: 60_000 });
  receiver = await startOtlpHttpReceiver({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: MAX_BODY_BYTES,
    maxConcurrentExports: 4,
    sink: store,
    onRefused: (status) => refusals.push(status),
  });
});

afterAll(() => receiver.close());

function request(spanId: string, traceId = TRACE_ID): otlpCollectorTraceV1.ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'unit' } }],
          droppedAttributesCount: 0,
          entityRefs: [],
        },
        scopeSpans: [
          {
            scope: { name: 'scope', version: '', attributes: [], droppedAttributesCount: 0 },
            spans: [
              {
                traceId: Buffer.from(traceId, 'hex'),
                spanId: Buffer.from(spanId, 'hex'),
                traceState: '',
                parentSpanId: Buffer.alloc(0),
                flags: 0,
                name: `op ${spanId}`,
                kind: 2,
                startTimeUnixNano: 1_000n,
                endTimeUnixNano: 2_000n,
                attributes: [],
                droppedAttributesCount: 0,
                events: [],
                droppedEventsCount: 0,
                links: [],
                droppedLinksCount: 0,
              },
            ],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

const protobufBody = (r: otlpCollectorTraceV1.ExportTraceServiceRequest) =>
  Buffer.from(otlpCollectorTraceV1.ExportTraceServiceRequest.encode(r).finish());

function post(body: Buffer, headers: Record<string, string>, path = '/v1/traces', method = 'POST') {
  return fetch(`${receiver.endpoint}${path}`, {
    method,
    headers,
    body: method === 'POST' ? body : undefined,
  });
}

async function statusMessage(response: Response): Promise<string> {
  const bytes = Buffer.from(await response.arrayBuffer());
  return response.headers.get('content-type') === 'application/x-protobuf'
    ? googleRpc.Status.decode(bytes).message
    : (JSON.parse(bytes.toString()) as { message: string }).message;
}

describe('OTLP/HTTP receiver', () => {
  it('accepts protobuf, answers an empty ExportTraceServiceResponse in protobuf, and stores the span', async () => {
    const response = await post(protobufBody(request('00f067aa0ba902b1')), {
      'content-type': 'application/x-protobuf',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(Buffer.from(await response.arrayBuffer()).length).toBe(0);
    expect(store.get(TRACE_ID)?.map((s) => s.spanId)).toContain('00f067aa0ba902b1');
  });

  it('accepts gzip JSON (with a charset parameter) and answers in JSON', async () => {
    const json = otlpCollectorTraceV1.ExportTraceServiceRequest.toJSON(request('00f067aa0ba902b2')) as {
      resourceSpans: { scopeSpans: { spans: Record<string, string>[] }[] }[];
    };
    // The generated toJSON writes base64 ids; OTLP JSON carries hex.
    json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = TRACE_ID;
    json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.spanId = '00f067aa0ba902b2';
    const response = await post(gzipSync(JSON.stringify(json)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({});
    expect(store.get(TRACE_ID)?.map((s) => s.spanId)).toContain('00f067aa0ba902b2');
  });

  it('answers partial success naming the problem when some spans have malformed ids', async () => {
    const good = request('00f067aa0ba902b3');
    const bad = request('00f067aa0ba902b4', '00000000000000000000000000000000');
    good.resourceSpans.push(...bad.resourceSpans);
    const response = await post(protobufBody(good), { 'content-type': 'application/x-protobuf' });
    expect(response.status).toBe(200);
    const answer = otlpCollectorTraceV1.ExportTraceServiceResponse.decode(
      Buffer.from(await response.arrayBuffer()),
    );
    expect(answer.partialSuccess).toEqual({
      rejectedSpans: 1n,
      errorMessage: expect.stringMatching(/traceId must be 16 bytes \(32 hex characters\), not all zeros/),
    });
    expect(store.evictions().spansRejected).toBe(1);
  });

  it('answers 503 with Retry-After while maxConcurrentExports bodies are still arriving', async () => {
    const { request: httpRequest } = await import('node:http');
    const { port } = new URL(receiver.endpoint);
    const slow = Array.from({ length: 4 }, () => {
      const pending = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': '100' },
      });
      pending.on('error', () => {});
      pending.write(Buffer.alloc(10));
      return pending;
    });
    // The four have reached the handler once a fifth is refused; poll rather than time it.
    let response: Response;
    do {
      response = await post(protobufBody(request('00f067aa0ba902b6')), {
        'content-type': 'application/x-protobuf',
      });
    } while (response.status === 200);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await statusMessage(response)).toMatch(/4 exports are being handled \(--max-concurrent-exports\)/);
    for (const pending of slow) pending.destroy();
    // The abandoned uploads give their slots back.
    do {
      response = await post(protobufBody(request('00f067aa0ba902b6')), {
        'content-type': 'application/x-protobuf',
      });
    } while (response.status === 503);
    expect(response.status).toBe(200);
  });

  it.each([
    ['an unknown path', { path: '/v1/metrics' }, 404, /POST traces to \/v1\/traces/],
    ['GET', { method: 'GET' }, 405, /takes POST only/],
    ['an unknown Content-Type', { headers: { 'content-type': 'text/plain' } }, 415, /Content-Type must be/],
    ['an unknown Content-Encoding', { headers: { 'content-encoding': 'br' } }, 415, /"br" is not supported/],
    [
      'an undecodable body',
      { body: Buffer.from([0x0a, 0xff]) },
      400,
      /not a protobuf ExportTraceServiceRequest/,
    ],
    [
      'a body over the limit',
      { body: Buffer.alloc(MAX_BODY_BYTES + 1) },
      413,
      /at most 65536 \(--max-otlp-body-bytes\)/,
    ],
    [
      'a gzip body over the limit once decompressed',
      { body: gzipSync(Buffer.alloc(MAX_BODY_BYTES * 4)), headers: { 'content-encoding': 'gzip' } },
      413,
      /after gunzip/,
    ],
    [
      'a body that is not gzip',
      { body: Buffer.from('plain'), headers: { 'content-encoding': 'gzip' } },
      400,
      /cannot be decompressed/,
    ],
  ])('refuses %s with %i and a google.rpc.Status sentence', async (_what, change, status, message) => {
    const options = change as {
      path?: string;
      method?: string;
      headers?: Record<string, string>;
      body?: Buffer;
    };
    const response = await post(
      options.body ?? protobufBody(request('00f067aa0ba902b5')),
      { 'content-type': 'application/x-protobuf', ...options.headers },
      options.path,
      options.method,
    );
    expect(response.status).toBe(status);
    expect(await statusMessage(response)).toMatch(message);
    expect(refusals).toContain(status);
  });
});
