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
    // The key is a varint: fields above 15 (ModelConfig.backend = 17) take two bytes.
    let key = 0;
    let keyShift = 0;
    let k: number;
    do {
      k = bytes[i]!;
      key |= (k & 0x7f) << keyShift;
      keyShift += 7;
      i += 1;
    } while (k & 0x80);
    const field = key >> 3;
    const wireType = key & 7;
    tags.push({ field, wireType });
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
      'ModelConfig',
      'ModelStatistics',
      'RepositoryIndex',
      'RepositoryModelLoad',
      'RepositoryModelUnload',
    ]) {
      const key = (name[0]!.toLowerCase() + name.slice(1)) as keyof typeof service;
      expect(service[key].path).toBe(`/inference.GRPCInferenceService/${name}`);
    }
  });

  it("numbers the ModelConfig messages as Triton's model_config.proto and grpc_service.proto do", () => {
    const fields = (bytes: Uint8Array) => fieldTags(bytes).map((t) => t.field);
    const config = inference.ModelConfig.fromPartial({
      name: 'm',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      versionPolicy: { latest: { numVersions: 1 } },
      maxBatchSize: 8,
      input: [{ name: 'i', dataType: inference.DataType.TYPE_FP32, dims: [4n] }],
      output: [{ name: 'o', dataType: inference.DataType.TYPE_STRING, dims: [3n], labelFilename: 'l' }],
      dynamicBatching: {
        preferredBatchSize: [4],
        maxQueueDelayMicroseconds: 100n,
        preserveOrdering: true,
        defaultQueuePolicy: { maxQueueSize: 8 },
      },
      instanceGroup: [{ name: 'm_0', kind: inference.ModelInstanceGroup_Kind.KIND_CPU, count: 1, gpus: [0] }],
    });
    expect(fields(inference.ModelConfig.encode(config).finish()).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 11, 17,
    ]);
    expect(fields(inference.ModelInput.encode(config.input[0]!).finish())).toEqual([1, 2, 4]);
    expect(fields(inference.ModelOutput.encode(config.output[0]!).finish())).toEqual([1, 2, 3, 4]);
    expect(fields(inference.ModelDynamicBatching.encode(config.dynamicBatching!).finish())).toEqual([
      1, 2, 3, 6,
    ]);
    expect(fields(inference.ModelQueuePolicy.encode({ maxQueueSize: 8 }).finish())).toEqual([4]);
    expect(fields(inference.ModelInstanceGroup.encode(config.instanceGroup[0]!).finish()).sort()).toEqual([
      1, 2, 3, 4,
    ]);
    const all = inference.ModelVersionPolicy.fromPartial({ all: {} });
    const specific = inference.ModelVersionPolicy.fromPartial({ specific: { versions: [1n] } });
    expect(fields(inference.ModelVersionPolicy.encode(config.versionPolicy!).finish())).toEqual([1]);
    expect(fields(inference.ModelVersionPolicy.encode(all).finish())).toEqual([2]);
    expect(fields(inference.ModelVersionPolicy.encode(specific).finish())).toEqual([3]);
    expect(inference.DataType.TYPE_STRING).toBe(13);
    expect(inference.DataType.TYPE_BF16).toBe(14);
    expect(inference.ModelInstanceGroup_Kind.KIND_CPU).toBe(2);
    expect(fields(inference.ModelConfigRequest.encode({ name: 'm', version: '1' }).finish())).toEqual([1, 2]);
    expect(fields(inference.ModelConfigResponse.encode({ config }).finish())).toEqual([1]);
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
