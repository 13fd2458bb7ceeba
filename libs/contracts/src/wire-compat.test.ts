/**
 * Guards the wire compatibility promises of the contracts: the Open Inference Protocol
 * field numbers every V2 client depends on (including the raw-contents trap: 7 in the
 * request, 6 in the response), the method paths, and that our own packages' Tensor messages
 * are the OIP input tensor on the wire.
 */
import { describe, expect, it } from 'vitest';
import { commonV1, inference } from './index.js';

/** The first tag byte of each top-level field in an encoded message, in order. */
function fieldTags(bytes: Uint8Array): { field: number; wireType: number }[] {
  const tags: { field: number; wireType: number }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const key = bytes[i]!;
    const field = key >> 3;
    const wireType = key & 7;
    tags.push({ field, wireType });
    i += 1;
    if (wireType === 2) {
      let length = 0;
      let shift = 0;
      let b: number;
      do {
        b = bytes[i]!;
        length |= (b & 0x7f) << shift;
        shift += 7;
        i += 1;
      } while (b & 0x80);
      i += length;
    } else if (wireType === 0) {
      while (bytes[i]! & 0x80) i += 1;
      i += 1;
    } else if (wireType === 1) {
      i += 8;
    } else if (wireType === 5) {
      i += 4;
    } else {
      throw new Error(`unexpected wire type ${wireType}`);
    }
  }
  return tags;
}

describe('Open Inference Protocol wire compatibility', () => {
  it('puts raw input contents in field 7 of the request and raw output contents in field 6 of the response', () => {
    const request = inference.ModelInferRequest.encode(
      inference.ModelInferRequest.fromPartial({ modelName: 'm', rawInputContents: [Buffer.from([1, 2])] }),
    ).finish();
    expect(fieldTags(request)).toEqual([
      { field: 1, wireType: 2 },
      { field: 7, wireType: 2 },
    ]);
    const response = inference.ModelInferResponse.encode(
      inference.ModelInferResponse.fromPartial({ modelName: 'm', rawOutputContents: [Buffer.from([1])] }),
    ).finish();
    expect(fieldTags(response)).toEqual([
      { field: 1, wireType: 2 },
      { field: 6, wireType: 2 },
    ]);
  });

  it('numbers InferParameter choices as upstream, double_param 4 and uint64_param 5 included', () => {
    const tag = (p: Partial<inference.InferParameter>) =>
      fieldTags(inference.InferParameter.encode(inference.InferParameter.fromPartial(p)).finish())[0];
    expect(tag({ boolParam: true })).toEqual({ field: 1, wireType: 0 });
    expect(tag({ int64Param: 5n })).toEqual({ field: 2, wireType: 0 });
    expect(tag({ stringParam: 's' })).toEqual({ field: 3, wireType: 2 });
    expect(tag({ doubleParam: 0.5 })).toEqual({ field: 4, wireType: 1 });
    expect(tag({ uint64Param: 5n })).toEqual({ field: 5, wireType: 0 });
  });

  it('serves the V2 and Triton methods under their upstream paths', () => {
    const service = inference.GRPCInferenceServiceService;
    expect(service.modelInfer.path).toBe('/inference.GRPCInferenceService/ModelInfer');
    expect(service.modelStreamInfer).toMatchObject({
      path: '/inference.GRPCInferenceService/ModelStreamInfer',
      requestStream: true,
      responseStream: true,
    });
    for (const name of [
      'ModelStatistics',
      'RepositoryIndex',
      'RepositoryModelLoad',
      'RepositoryModelUnload',
    ]) {
      const key = (name[0]!.toLowerCase() + name.slice(1)) as keyof typeof service;
      expect(service[key].path).toBe(`/inference.GRPCInferenceService/${name}`);
    }
  });

  it('encodes the shared sightline.common.v1 Tensor exactly as the OIP input tensor', () => {
    const tensor = {
      name: 'x',
      datatype: 'FP32',
      shape: [2n, 2n],
      parameters: {},
      contents: inference.InferTensorContents.fromPartial({ fp32Contents: [1, 2, 3, 4] }),
    };
    const oip = inference.ModelInferRequest_InferInputTensor.encode(
      inference.ModelInferRequest_InferInputTensor.fromPartial(tensor),
    ).finish();
    const ours = commonV1.Tensor.encode(commonV1.Tensor.fromPartial(tensor)).finish();
    expect(Buffer.from(ours).equals(Buffer.from(oip))).toBe(true);
    expect(inference.ModelInferRequest_InferInputTensor.decode(ours)).toMatchObject({
      name: 'x',
      shape: [2n, 2n],
    });
  });
});
