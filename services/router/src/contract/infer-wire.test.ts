import { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AppendedInferFields,
  appendInferFields,
  type ScannedInferRequest,
  type ScannedInferResponse,
  scanInferRequest,
  scanInferResponse,
} from './infer-wire.js';

const text = fc.string({ maxLength: 10, unit: 'grapheme' });
// "__proto__" as a map key sets an object's prototype in ts-proto's decode; not a case here.
const key = text.filter((k) => k !== '__proto__');
const parameter: fc.Arbitrary<inference.InferParameter> = fc.oneof(
  fc.boolean().map((v) => ({ boolParam: v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ int64Param: v })),
  text.map((v) => ({ stringParam: v })),
  fc.double({ noNaN: true }).map((v) => ({ doubleParam: v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ uint64Param: v })),
);
const parameters = fc.dictionary(key, parameter, { maxKeys: 3, noNullPrototype: true });
const shape = fc.array(fc.bigInt({ min: -1n, max: 2n ** 40n }), { maxLength: 3 });
const contents = fc.option(
  fc.array(fc.float({ noNaN: true }), { maxLength: 4 }).map((fp32Contents) => ({ fp32Contents })),
  { nil: undefined },
);
const tensor = fc.record({
  name: text,
  datatype: fc.constantFrom('FP32', 'INT64', 'BYTES', 'FLOAT', ''),
  shape,
  parameters,
  contents,
});
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));

const requestArb: fc.Arbitrary<inference.ModelInferRequest> = fc
  .record({
    modelName: text,
    modelVersion: text,
    id: text,
    parameters,
    inputs: fc.array(tensor, { maxLength: 3 }),
    outputs: fc.array(fc.record({ name: text, parameters }), { maxLength: 2 }),
    rawInputContents: fc.array(bytes, { maxLength: 3 }),
  })
  .map((r) => inference.ModelInferRequest.fromPartial(r));

const responseArb: fc.Arbitrary<inference.ModelInferResponse> = fc
  .record({
    modelName: text,
    modelVersion: text,
    id: text,
    parameters,
    outputs: fc.array(tensor, { maxLength: 3 }),
    rawOutputContents: fc.array(bytes, { maxLength: 3 }),
  })
  .map((r) => inference.ModelInferResponse.fromPartial(r));

const overridesArb: fc.Arbitrary<AppendedInferFields> = fc.record(
  { modelName: text, modelVersion: text, id: text, parameters },
  { requiredKeys: [] },
);

const encodeRequest = (r: inference.ModelInferRequest) => inference.ModelInferRequest.encode(r).finish();
const encodeResponse = (r: inference.ModelInferResponse) => inference.ModelInferResponse.encode(r).finish();
const buffers = (list: readonly Uint8Array[]) => list.map((b) => Buffer.from(b));

function expectSameRequest(scan: ScannedInferRequest, decoded: inference.ModelInferRequest): void {
  expect(scan.modelName).toBe(decoded.modelName);
  expect(scan.modelVersion).toBe(decoded.modelVersion);
  expect(scan.id).toBe(decoded.id);
  expect(scan.parameters).toEqual(decoded.parameters);
  expect(scan.inputs).toEqual(decoded.inputs);
  expect(scan.outputs).toEqual(decoded.outputs);
  expect(buffers(scan.rawInputContents)).toEqual(buffers(decoded.rawInputContents));
}

function expectSameResponse(scan: ScannedInferResponse, decoded: inference.ModelInferResponse): void {
  expect(scan.modelName).toBe(decoded.modelName);
  expect(scan.modelVersion).toBe(decoded.modelVersion);
  expect(scan.id).toBe(decoded.id);
  expect(scan.parameters).toEqual(decoded.parameters);
  expect(scan.outputs).toEqual(decoded.outputs);
  expect(buffers(scan.rawOutputContents)).toEqual(buffers(decoded.rawOutputContents));
}

/** What decoding gives, or the error it throws. */
function attempt<T>(work: () => T): { value: T } | { error: unknown } {
  try {
    return { value: work() };
  } catch (error) {
    return { error };
  }
}

/** Valid messages, their strict prefixes, and bytes with a flipped byte. */
function damaged(encoded: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    encoded,
    encoded
      .filter((b) => b.length > 0)
      .chain((b) => fc.nat({ max: b.length - 1 }).map((cut) => b.subarray(0, cut))),
    encoded
      .filter((b) => b.length > 0)
      .chain((b) =>
        fc.tuple(fc.nat({ max: b.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
          const copy = Uint8Array.from(b);
          copy[i] = v;
          return copy;
        }),
      ),
    fc.uint8Array({ maxLength: 40 }),
  );
}

describe('scanInferRequest', () => {
  it("reads every field exactly as ts-proto's decode does", () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const encoded = encodeRequest(request);
        const scan = scanInferRequest(encoded);
        expectSameRequest(scan, inference.ModelInferRequest.decode(encoded));
        expect(scan.length).toBe(encoded.length);
      }),
    );
  });

  it('agrees with decode on truncated and malformed bytes, refusing also an ending tag, only with INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(damaged(requestArb.map(encodeRequest)), (input) => {
        const decoded = attempt(() => inference.ModelInferRequest.decode(input));
        const scanned = attempt(() => scanInferRequest(input));
        if ('error' in decoded) expect('error' in scanned).toBe(true);
        if ('error' in scanned) {
          expect(scanned.error).toBeInstanceOf(InvalidArgumentError);
          expect((scanned.error as Error).message).toMatch(/^ModelInferRequest: malformed protobuf: /);
          // Where decode read something, it stopped at a tag the scan refuses.
          if ('value' in decoded)
            expect((scanned.error as Error).message).toMatch(/field number 0|end-group tag/);
          return;
        }
        if (!('value' in decoded)) return;
        expectSameRequest(scanned.value, decoded.value);
        expect(scanned.value.length).toBe(input.length);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses random bodies as malformed, never reading them as an empty request', () => {
    let seed = 7;
    const random = (n: number) =>
      Uint8Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed >> 23;
      });
    for (let i = 0; i < 200; i++) {
      const input = random(4096);
      expect(() => scanInferRequest(input)).toThrow(/^ModelInferRequest: malformed protobuf: /);
    }
    expect(() => scanInferRequest(Uint8Array.from([0x0c]))).toThrow(
      'ModelInferRequest: malformed protobuf: end-group tag (field 1) without a start group at byte 0',
    );
    expect(() => scanInferRequest(Uint8Array.from([0]))).toThrow('field number 0 at byte 0');
  });

  it('names the message and the fault', () => {
    const encoded = encodeRequest(inference.ModelInferRequest.fromPartial({ modelName: 'iris' }));
    expect(() => scanInferRequest(encoded.subarray(0, 3))).toThrow(
      'ModelInferRequest: malformed protobuf: premature EOF',
    );
  });
});

describe('scanInferResponse', () => {
  it("reads every field exactly as ts-proto's decode does, and fails where it fails", () => {
    fc.assert(
      fc.property(damaged(responseArb.map(encodeResponse)), (input) => {
        const decoded = attempt(() => inference.ModelInferResponse.decode(input));
        const scanned = attempt(() => scanInferResponse(input));
        expect('error' in scanned).toBe('error' in decoded);
        if ('error' in scanned) {
          expect(scanned.error).toBeInstanceOf(InvalidArgumentError);
          // The same reader fault, so the byte path fails as grpc-js fails an unparsable answer.
          const cause = (scanned.error as Error).cause as Error;
          expect(cause.message).toBe(((decoded as { error: Error }).error as Error).message);
          return;
        }
        if ('value' in decoded) expectSameResponse(scanned.value, decoded.value);
      }),
      { numRuns: 500 },
    );
  });
});

/** `message` with `fields` replaced and their parameter entries set, as protobuf merging gives it. */
function replaced<M extends inference.ModelInferRequest | inference.ModelInferResponse>(
  message: M,
  fields: AppendedInferFields,
): M {
  return {
    ...message,
    modelName: fields.modelName ?? message.modelName,
    modelVersion: fields.modelVersion ?? message.modelVersion,
    id: fields.id ?? message.id,
    parameters: { ...message.parameters, ...fields.parameters },
  };
}

describe('appendInferFields', () => {
  it('gives the request with those fields replaced and those parameter entries set', () => {
    fc.assert(
      fc.property(requestArb, overridesArb, (request, fields) => {
        const encoded = encodeRequest(request);
        const merged = inference.ModelInferRequest.decode(appendInferFields(encoded, encoded.length, fields));
        expect(merged).toEqual(replaced(request, fields));
      }),
    );
  });

  it('gives the response with those fields replaced, dropping what follows an ending tag', () => {
    fc.assert(
      fc.property(responseArb, overridesArb, bytes, (response, fields, trailer) => {
        const encoded = encodeResponse(response);
        // A zero tag ends the message for every reader; appending after it would be lost.
        const withTrailer = Buffer.concat([encoded, Buffer.from([0]), trailer]);
        const scan = scanInferResponse(withTrailer);
        expect(scan.length).toBe(encoded.length);
        const merged = inference.ModelInferResponse.decode(
          appendInferFields(withTrailer, scan.length, fields),
        );
        expect(merged).toEqual(replaced(response, fields));
      }),
    );
  });

  it('writes long fields and entries (multi-byte lengths) as the generated encoder does', () => {
    const long = 'é'.repeat(200);
    const encoded = encodeRequest(inference.ModelInferRequest.fromPartial({ modelName: 'm' }));
    const fields = {
      modelName: long,
      id: long,
      parameters: { [long]: { stringParam: long }, n: { int64Param: -1n } },
    };
    const merged = inference.ModelInferRequest.decode(appendInferFields(encoded, encoded.length, fields));
    expect(merged).toMatchObject({ modelName: long, id: long, parameters: fields.parameters });
  });

  it('replaces a non-empty id with an empty one', () => {
    const encoded = encodeRequest(inference.ModelInferRequest.fromPartial({ id: 'abc' }));
    expect(
      inference.ModelInferRequest.decode(appendInferFields(encoded, encoded.length, { id: '' })).id,
    ).toBe('');
  });
});
