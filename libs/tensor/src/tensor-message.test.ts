import { commonV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyTensorArb, expectSameTensor, thrownMessage } from '../test/arbitraries.js';
import { decodeTensorMessages, encodeTensorMessages, type TensorMessage } from './tensor-message.js';
import { emptyContents } from './typed-codec.js';

function message(fields: Partial<TensorMessage> & { name: string }): TensorMessage {
  return { datatype: 'FP32', shape: [1n], parameters: {}, rawContents: Buffer.alloc(0), ...fields };
}

describe('Sightline Tensor messages', () => {
  for (const mode of ['raw', 'typed'] as const) {
    it(`round-trip through the common.v1 Tensor wire in ${mode} mode`, () => {
      const tensorsArb = fc
        .array(anyTensorArb(mode === 'raw'), { maxLength: 4 })
        .map((ts) => ts.map((t, i) => ({ ...t, name: `t${i}` })));
      fc.assert(
        fc.property(tensorsArb, (tensors) => {
          const wire = encodeTensorMessages(tensors, mode).map((m) =>
            commonV1.Tensor.decode(commonV1.Tensor.encode(m).finish()),
          );
          for (const [i, t] of decodeTensorMessages(wire).entries()) expectSameTensor(t, tensors[i]!);
        }),
      );
    });
  }

  it('accepts the common.v1 Tensor type as it is generated', () => {
    const generated: commonV1.Tensor = commonV1.Tensor.fromPartial({
      name: 'x',
      datatype: 'INT32',
      shape: [2n],
      contents: { intContents: [1, -1] },
    });
    expect([...decodeTensorMessages([generated], 'input')[0]!.data]).toEqual([1, -1]);
  });

  it('rejects both contents and raw_contents, naming the tensor', () => {
    const both = message({
      name: 'x',
      rawContents: Buffer.alloc(4),
      contents: { ...emptyContents(), fp32Contents: [1] },
    });
    expect(thrownMessage(() => decodeTensorMessages([both], 'input'), InvalidArgumentError)).toBe(
      'input "x": has both contents and raw_contents; send one of them',
    );
  });

  it('rejects neither for a tensor with elements', () => {
    expect(thrownMessage(() => decodeTensorMessages([message({ name: 'x' })]), InvalidArgumentError)).toBe(
      'tensor "x": has no contents; send typed contents or raw_contents',
    );
  });

  it('quotes a 1 MB tensor name or datatype in a message of bounded size', () => {
    const longName = message({ name: 'n'.repeat(1_000_000) });
    expect(thrownMessage(() => decodeTensorMessages([longName], 'input'), InvalidArgumentError)).toBe(
      `input "${'n'.repeat(64)}"... (1000000 characters): has no contents; send typed contents or raw_contents`,
    );
    const longType = message({ name: 'x', datatype: 'F'.repeat(1_000_000), rawContents: Buffer.alloc(4) });
    const text = thrownMessage(() => decodeTensorMessages([longType], 'input'), InvalidArgumentError);
    expect(text).toMatch(
      /^input "x": unknown datatype "F{64}"\.\.\. \(1000000 characters\); expected one of /,
    );
    expect(text.length).toBeLessThan(300);
  });

  it('rejects duplicate names on decode and encode', () => {
    const m = message({ name: 'x', rawContents: Buffer.alloc(4) });
    expect(thrownMessage(() => decodeTensorMessages([m, m]), InvalidArgumentError)).toBe(
      'tensor "x": appears more than once',
    );
    const t = { name: 'x', datatype: 'FP32', shape: [0], data: new Float32Array(0) } as const;
    expect(thrownMessage(() => encodeTensorMessages([t, t], 'typed'), InvalidArgumentError)).toBe(
      'tensor "x": appears more than once',
    );
  });
});
