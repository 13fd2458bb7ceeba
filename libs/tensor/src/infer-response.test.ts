import { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { expectSameTensor, thrownMessage } from '../test/arbitraries.js';
import { decodeInferOutputs, encodeInferOutputs, responseContentsMode } from './infer-response.js';
import type { Tensor } from './types.js';

const probabilities: Tensor = {
  name: 'probs',
  datatype: 'FP32',
  shape: [1, 3],
  data: Float32Array.of(0.1, 0.2, 0.7),
};
const label: Tensor = {
  name: 'label',
  datatype: 'BYTES',
  shape: [1],
  data: [new TextEncoder().encode('virginica')],
};
const half: Tensor = { name: 'half', datatype: 'FP16', shape: [2], data: Uint16Array.of(0x3c00, 0x8000) };

function roundTrip(tensors: Tensor[], mode: 'raw' | 'typed'): Tensor[] {
  const encoded = encodeInferOutputs(tensors, mode);
  const wire = inference.ModelInferResponse.encode(
    inference.ModelInferResponse.fromPartial({ modelName: 'm', ...encoded }),
  ).finish();
  return decodeInferOutputs(inference.ModelInferResponse.decode(wire));
}

describe('encodeInferOutputs / decodeInferOutputs', () => {
  it('typed mode fills contents and leaves raw_output_contents empty', () => {
    const encoded = encodeInferOutputs([probabilities, label], 'typed');
    expect(encoded.rawOutputContents).toEqual([]);
    expect(encoded.outputs[0]!.contents!.fp32Contents).toHaveLength(3);
    expect(encoded.outputs[1]!.contents!.bytesContents[0]!.toString()).toBe('virginica');
    expect(encoded.outputs[0]!.shape).toEqual([1n, 3n]);
  });

  it('raw mode sends one raw buffer per output and no contents', () => {
    const encoded = encodeInferOutputs([probabilities, label], 'raw');
    expect(encoded.rawOutputContents).toHaveLength(2);
    expect(encoded.outputs.every((o) => o.contents === undefined)).toBe(true);
    expect(encoded.rawOutputContents[0]!.buffer).toBe(probabilities.data.buffer);
  });

  it('typed mode switches the whole response to raw when an output is FP16', () => {
    const encoded = encodeInferOutputs([probabilities, half], 'typed');
    expect(encoded.rawOutputContents).toHaveLength(2);
    expect(encoded.outputs.every((o) => o.contents === undefined)).toBe(true);
  });

  for (const mode of ['raw', 'typed'] as const) {
    it(`round-trips outputs through the protobuf wire in ${mode} mode`, () => {
      const tensors = [probabilities, label, half];
      for (const [i, t] of roundTrip(tensors, mode).entries()) expectSameTensor(t, tensors[i]!);
    });
  }

  it('names outputs in errors when decoding a response', () => {
    const response = inference.ModelInferResponse.fromPartial({
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2n] }],
      rawOutputContents: [Buffer.alloc(3)],
    });
    expect(thrownMessage(() => decodeInferOutputs(response), InvalidArgumentError)).toBe(
      'output "y": expected 8 bytes of raw contents (2 FP32 elements x 4 bytes), got 3',
    );
  });

  it('rejects encoding a malformed output, naming it', () => {
    const bad = { name: 'y', datatype: 'FP32', shape: [2], data: new Float64Array(2) } as unknown as Tensor;
    expect(thrownMessage(() => encodeInferOutputs([bad], 'raw'), InvalidArgumentError)).toBe(
      'output "y": FP32 data must be a Float32Array, got Float64Array',
    );
  });
});

describe('responseContentsMode', () => {
  const request = (partial: Partial<inference.ModelInferRequest>) =>
    inference.ModelInferRequest.fromPartial(partial);

  it('answers raw requests raw and typed requests typed', () => {
    expect(responseContentsMode(request({ rawInputContents: [Buffer.alloc(4)] }))).toBe('raw');
    expect(responseContentsMode(request({}))).toBe('typed');
  });

  it('answers raw when any requested output asks binary_data', () => {
    const outputs: inference.ModelInferRequest_InferRequestedOutputTensor[] = [
      { name: 'a', parameters: {} },
      { name: 'b', parameters: { binary_data: { boolParam: true } } },
    ];
    expect(responseContentsMode(request({ outputs }))).toBe('raw');
    const notBinary: inference.ModelInferRequest_InferRequestedOutputTensor[] = [
      { name: 'a', parameters: { binary_data: { boolParam: false } } },
    ];
    expect(responseContentsMode(request({ outputs: notBinary }))).toBe('typed');
  });
});
