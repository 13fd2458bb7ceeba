import { InvalidArgumentError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { eventFromJson, eventToJson, parseEvent, serializeEvent } from './event-codec.js';
import { sampleEvent } from './testing/sample-events.js';

const everyDatatype: Tensor[] = [
  { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
  { name: 'u8', datatype: 'UINT8', shape: [2], data: new Uint8Array([0, 255]) },
  { name: 'u16', datatype: 'UINT16', shape: [1], data: new Uint16Array([65535]) },
  { name: 'u32', datatype: 'UINT32', shape: [1], data: new Uint32Array([4294967295]) },
  { name: 'u64', datatype: 'UINT64', shape: [1], data: new BigUint64Array([18446744073709551615n]) },
  { name: 'i8', datatype: 'INT8', shape: [1], data: new Int8Array([-128]) },
  { name: 'i16', datatype: 'INT16', shape: [1], data: new Int16Array([-32768]) },
  { name: 'i32', datatype: 'INT32', shape: [1], data: new Int32Array([-7]) },
  { name: 'i64', datatype: 'INT64', shape: [1], data: new BigInt64Array([-9223372036854775808n]) },
  { name: 'f16', datatype: 'FP16', shape: [1], data: new Uint16Array([0x3c00]) },
  { name: 'f32', datatype: 'FP32', shape: [2, 2], data: new Float32Array([1.5, -2, Number.NaN, 0]) },
  { name: 'f64', datatype: 'FP64', shape: [1], data: new Float64Array([Math.PI]) },
  { name: 'bf16', datatype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) },
  {
    name: 's',
    datatype: 'BYTES',
    shape: [2],
    data: [new Uint8Array(Buffer.from('héllo')), new Uint8Array([0, 1, 2])],
  },
];

describe('event codec', () => {
  it('round-trips an event with every datatype losslessly', () => {
    const event = sampleEvent(7, { inputs: everyDatatype, errorMessage: 'none' });
    const back = parseEvent(serializeEvent(event));
    expect(back).toEqual(event);
    // Typed arrays come back as the same kinds.
    expect(back.inputs[4]!.data).toBeInstanceOf(BigUint64Array);
    expect(back.inputs[13]!.data).toEqual([new Uint8Array(Buffer.from('héllo')), new Uint8Array([0, 1, 2])]);
  });

  it("round-trips the model version's lineage, and refuses a value that is not a string", () => {
    const modelLineage = { source_uri: 's3://models/iris/3/', 'lineage.code_revision': '4f2c9e1' };
    const event = sampleEvent(3, { modelLineage });
    expect(parseEvent(serializeEvent(event)).modelLineage).toEqual(modelLineage);
    expect(parseEvent(serializeEvent(sampleEvent(3))).modelLineage).toBeUndefined();
    const json = { ...eventToJson(event), modelLineage: { 'lineage.license': 7 } };
    expect(() => eventFromJson(json)).toThrow('event.modelLineage.lineage.license: expected a string');
  });

  it('accepts hand-written numeric arrays', () => {
    const json = { ...eventToJson(sampleEvent(1)) } as Record<string, unknown>;
    json.inputs = [{ name: 'x', datatype: 'INT64', shape: [3], data: [1, '9007199254740993', -2] }];
    const event = eventFromJson(json);
    expect(event.inputs[0]!.data).toEqual(new BigInt64Array([1n, 9007199254740993n, -2n]));
  });

  it('names the field and the rule for bad input', () => {
    const good = eventToJson(sampleEvent(1)) as unknown as Record<string, unknown>;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, eventId: '' }, 'event.eventId: expected a non-empty string'],
      [{ ...good, timeUnixMs: 'now' }, 'event.timeUnixMs: expected a non-negative number'],
      [
        { ...good, inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3] }] },
        'event.inputs[0].data: expected 4 elements for shape [2,2], got 3',
      ],
      [
        { ...good, inputs: [{ name: 'x', datatype: 'FP8', shape: [1], data: [1] }] },
        'event.inputs[0].datatype',
      ],
      [{ ...good, timings: {} }, 'event.timings.totalMs'],
      [{ ...good, requestParameters: { a: { nested: 1 } } }, 'event.requestParameters.a'],
    ];
    for (const [value, message] of cases) {
      expect(() => eventFromJson(value)).toThrow(InvalidArgumentError);
      expect(() => eventFromJson(value)).toThrow(message);
    }
  });
});
