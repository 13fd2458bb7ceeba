/**
 * The receiver's decoding against OpenTelemetry's own serialisers: random spans made by the
 * real SDK, serialised by @opentelemetry/otlp-transformer (the code every OTLP/HTTP
 * exporter of opentelemetry-js uses) as protobuf and as OTLP JSON, must decode into the
 * spans the SDK recorded.
 */
import {
  type Attributes,
  context,
  type SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { otlpCollectorTraceV1 } from '@sightline/contracts/otlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredSpan } from '../store/stored-span.js';
import { TraceStore } from '../store/trace-store.js';
import {
  decodeExportRequest,
  encodeExportResponse,
  encodeFailureStatus,
  OtlpDecodeError,
} from './otlp-body.js';
import { spansFromExportRequest } from './otlp-span-conversion.js';

const KINDS = ['internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUS = ['unset', 'ok', 'error'] as const;

const hexId = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => Buffer.from(b).toString('hex'));

const attributeValue = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.array(fc.string(), { maxLength: 3 }),
);

const spanSpec = fc.record({
  name: fc.string({ maxLength: 40 }),
  kind: fc.integer({ min: 0, max: 4 }),
  startMs: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  durationMs: fc.integer({ min: 0, max: 100_000 }),
  status: fc.integer({ min: 0, max: 2 }),
  message: fc.string({ maxLength: 20 }),
  attributes: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), attributeValue, { maxKeys: 4 }),
  parent: fc.option(fc.record({ traceId: hexId(16), spanId: hexId(8) }), { nil: undefined }),
  event: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
});

type SpanSpec = typeof spanSpec extends fc.Arbitrary<infer T> ? T : never;

function textOf(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function recordSpans(serviceName: string, specs: SpanSpec[]): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'host.name': 'here' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('property-test');
  for (const spec of specs) {
    const parent = spec.parent
      ? trace.setSpanContext(context.active(), {
          ...spec.parent,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : context.active();
    const span = tracer.startSpan(
      spec.name,
      { kind: spec.kind as SpanKind, attributes: spec.attributes as Attributes, startTime: spec.startMs },
      parent,
    );
    if (spec.event !== undefined) span.addEvent(spec.event, { detail: 'x' }, spec.startMs);
    span.setStatus(
      spec.status === 2
        ? { code: SpanStatusCode.ERROR, message: spec.message }
        : { code: spec.status as SpanStatusCode },
    );
    span.end(spec.startMs + spec.durationMs);
  }
  return exporter.getFinishedSpans();
}

function expected(serviceName: string, span: ReadableSpan): StoredSpan {
  const ms = (t: readonly [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    serviceName,
    kind: KINDS[span.kind]!,
    startTimeUnixNano: ms(span.startTime),
    endTimeUnixNano: ms(span.endTime),
    status: { code: STATUS[span.status.code]!, message: span.status.message ?? '' },
    attributes: Object.entries(span.attributes).map(([key, value]) => ({ key, value: textOf(value) })),
    events: span.events.map((e) => ({
      name: e.name,
      timeUnixNano: ms(e.time),
      attributes: Object.entries(e.attributes ?? {}).map(([key, value]) => ({ key, value: textOf(value) })),
    })),
    scopeName: 'property-test',
    resourceAttributes: expect.arrayContaining([{ key: 'host.name', value: 'here' }]) as never,
  };
}

describe('decodeExportRequest', () => {
  it('property: spans serialised by OpenTelemetry as protobuf or OTLP JSON come out of the store as the SDK recorded them', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.array(spanSpec, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('protobuf' as const, 'json' as const),
        (serviceName, specs, encoding) => {
          const spans = recordSpans(serviceName, specs);
          const serializer = encoding === 'protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer;
          const body = Buffer.from(serializer.serializeRequest(spans)!);
          const converted = spansFromExportRequest(decodeExportRequest(body, encoding));
          expect(converted.rejected).toBe(0);
          // Into the store and out again, trace by trace.
          const store = new TraceStore({ maxSpans: 100, maxTraces: 100, maxBytes: 1e9, maxAgeMs: 60_000 });
          expect(store.add(converted.spans)).toEqual({ accepted: spans.length, rejected: 0 });
          const bySpanId = (a: { spanId: string }, b: { spanId: string }) => (a.spanId < b.spanId ? -1 : 1);
          const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
          const stored = [...traceIds].flatMap((traceId) => store.get(traceId) ?? []);
          expect(stored.sort(bySpanId)).toEqual(spans.map((s) => expected(serviceName, s)).sort(bySpanId));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads OTLP JSON ids as hex in either case, and refuses a span whose id is not hex', () => {
    const span = (traceId: string) => ({
      traceId,
      spanId: '00F067AA0BA902B7',
      name: 'op',
      kind: 2,
      // int64 as a decimal string or a JSON number: receivers take both.
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: 1_700_000_000_000_000_000 + 2 ** 20,
    });
    const body = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            scopeSpans: [
              { spans: [span('4BF92F3577B34DA6A3CE929D0E0E4736'), span('not hex at all, not hex at all!!')] },
            ],
            futureField: { ignored: true },
          },
        ],
      }),
    );
    const converted = spansFromExportRequest(decodeExportRequest(body, 'json'));
    expect(converted.spans).toEqual([
      expect.objectContaining({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        kind: 'server',
        startTimeUnixNano: 1_700_000_000_000_000_000n,
        endTimeUnixNano: BigInt(1_700_000_000_000_000_000 + 2 ** 20),
      }),
    ]);
    expect(converted.rejected).toBe(1);
    expect(converted.firstProblem).toMatch(/span "op": traceId must be 16 bytes/);
  });

  it.each([
    ['protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff]), /not a protobuf ExportTraceServiceRequest/],
    ['json', Buffer.from('{"resourceSpans": ['), /not JSON/],
    ['json', Buffer.from('[1,2]'), /not a JSON ExportTraceServiceRequest object/],
    [
      'json',
      Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"1.5"}]}]}]}'),
      /not an ExportTraceServiceRequest/,
    ],
  ] as const)('refuses an undecodable %s body with the reason', (encoding, body, message) => {
    expect(() => decodeExportRequest(body, encoding)).toThrow(OtlpDecodeError);
    expect(() => decodeExportRequest(body, encoding)).toThrow(message);
  });

  it('answers partial success with the rejected count in both encodings', () => {
    const partial = { rejectedSpans: 2, errorMessage: 'two bad ids' };
    expect(
      otlpCollectorTraceV1.ExportTraceServiceResponse.decode(encodeExportResponse('protobuf', partial))
        .partialSuccess,
    ).toEqual({ rejectedSpans: 2n, errorMessage: 'two bad ids' });
    expect(JSON.parse(encodeExportResponse('json', partial).toString())).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'two bad ids' },
    });
    expect(encodeExportResponse('protobuf').length).toBe(0);
    expect(JSON.parse(encodeFailureStatus('json', 'bad body').toString())).toEqual({ message: 'bad body' });
  });
});
