import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { routedFromWire, type WireHeader } from './routed-wire.js';

const header = (name: string, shape: bigint[] = [1n, 4n]): WireHeader => ({
  name,
  datatype: 'FP32',
  shape,
  parameters: {},
});
const raw = (elements: number) => Buffer.alloc(elements * 4);

describe('routedFromWire', () => {
  it('keeps raw tensors as the same bytes without decoding them', () => {
    const bytes = raw(4);
    const [tensor] = routedFromWire([header('input')], [bytes], 'input', 'raw_input_contents');
    expect(tensor!.shape).toEqual([1, 4]);
    expect(Buffer.from(tensor!.rawBytes()).equals(bytes)).toBe(true);
  });

  it('applies the same header rules and limits as a full decode', () => {
    const call = (headers: WireHeader[], limits = {}) =>
      routedFromWire(
        headers,
        headers.map(() => raw(4)),
        'input',
        'raw_input_contents',
        limits,
      );
    expect(() => call([header('x'), header('x')])).toThrow(InvalidArgumentError);
    expect(() => call([header('x'), header('x')])).toThrow(/input "x": appears more than once/);
    expect(() => call([{ ...header('x'), datatype: 'FLOAT' }])).toThrow(
      /input "x": unknown datatype "FLOAT"/,
    );
    expect(() => call([header('a'), header('b')], { maxTensors: 1 })).toThrow(ResourceExhaustedError);
    expect(() => call([header('a', [1n, 4n])], { maxElementsPerTensor: 3 })).toThrow(
      /input "a": shape \[1,4\] has 4 elements, over the limit of 3 \(--max-elements-per-tensor\)/,
    );
  });

  it('refuses typed contents mixed with raw contents, naming the tensor', () => {
    const mixed: WireHeader = {
      ...header('x'),
      contents: {
        boolContents: [],
        intContents: [],
        int64Contents: [],
        uintContents: [],
        uint64Contents: [],
        fp32Contents: [1, 2, 3, 4],
        fp64Contents: [],
        bytesContents: [],
      },
    };
    expect(() => routedFromWire([mixed], [raw(4)], 'input', 'raw_input_contents')).toThrow(
      /input "x": has typed contents but the message uses raw_input_contents/,
    );
  });
});
