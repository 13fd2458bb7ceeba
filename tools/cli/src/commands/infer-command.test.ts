import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferCommand } from './infer.js';

/** A V2 endpoint answering as the router does: parameters on the answer, its own NOT_FOUND sentence. */
let server: Server;
let address: string;
const ROUTER_NOT_FOUND =
  'graph "nosuch" not found, and the default model-server at 127.0.0.1:8001 has no such model: model "nosuch" not found';

beforeAll(async () => {
  server = new Server();
  const notFound = (name: string) => ({
    code: status.NOT_FOUND,
    details: ROUTER_NOT_FOUND.replaceAll('nosuch', name),
  });
  server.addService(inference.GRPCInferenceServiceService, {
    modelMetadata: (
      call: ServerUnaryCall<inference.ModelMetadataRequest, inference.ModelMetadataResponse>,
      callback: sendUnaryData<inference.ModelMetadataResponse>,
    ) => {
      if (call.request.name !== 'iris') return callback(notFound(call.request.name));
      callback(
        null,
        inference.ModelMetadataResponse.fromPartial({
          name: 'iris',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }],
        }),
      );
    },
    modelInfer: (
      _call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>,
      callback: sendUnaryData<inference.ModelInferResponse>,
    ) => {
      callback(
        null,
        inference.ModelInferResponse.fromPartial({
          modelName: 'iris',
          modelVersion: '1',
          parameters: {
            'sightline.path': { stringParam: 'iris' },
            'sightline.trace_id': { stringParam: '0af7651916cd43dd8448eb211c80319c' },
          },
          outputs: [
            {
              name: 'probabilities',
              datatype: 'FP32',
              shape: [1n, 3n],
              contents: { fp32Contents: [0.5, 0.25, 0.25] },
            },
          ],
        }),
      );
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => server?.forceShutdown());

describe('sightline infer', () => {
  it("prints the answer's parameters (sightline.path, sightline.trace_id) with its outputs", async () => {
    const printed = await inferCommand({
      address,
      model: 'iris',
      input: '[[5.1,3.5,1.4,0.2]]',
      timeoutMs: 5000,
    });
    expect(printed).toEqual({
      model_name: 'iris',
      model_version: '1',
      id: '',
      parameters: { 'sightline.path': 'iris', 'sightline.trace_id': '0af7651916cd43dd8448eb211c80319c' },
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.5, 0.25, 0.25] }],
    });
  });

  it("prints the server's error sentence as it is", async () => {
    await expect(
      inferCommand({ address, model: 'nosuch', input: '[[1,2,3,4]]', timeoutMs: 5000 }),
    ).rejects.toThrow(`NOT_FOUND: ${ROUTER_NOT_FOUND}`);
  });
});
