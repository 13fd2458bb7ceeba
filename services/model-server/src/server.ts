/**
 * The gRPC adapter of the model-server: each handler decodes the protobuf request, makes
 * one data-plane call and encodes the answer. No rules live here; the service-kit's call
 * wrappers add spans, metrics, logs and error mapping around every handler.
 */
import type { Server } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { bidiStream, type CallKit, unary } from '@sightline/service-kit';
import {
  type ContentsMode,
  decodeInferInputs,
  encodeInferOutputs,
  parametersToRecord,
  resolveDecodeLimits,
  responseContentsMode,
  type TensorDecodeLimits,
} from '@sightline/tensor';
import type { InferenceDataPlane } from './inference/data-plane.js';
import type { InferRequest, InferResponse } from './inference/infer-types.js';
import type { ServedModelConfig } from './model/loaded-model.js';
import type { VersionStatistics } from './observability/model-statistics.js';
import type { LoadParameterValue } from './repository/load-parameters.js';

const SERVICE = 'inference.GRPCInferenceService';

/** Limits applied while adapting messages. */
export interface AdapterLimits {
  readonly tensorDecode: Partial<TensorDecodeLimits>;
  /** Messages of one ModelStreamInfer stream handled at once before the stream stops reading. */
  readonly streamMaxInFlight: number;
}

function decodeRequest(
  message: inference.ModelInferRequest,
  limits: Partial<TensorDecodeLimits>,
): InferRequest {
  return {
    modelName: message.modelName,
    modelVersion: message.modelVersion,
    id: message.id,
    parameters: parametersToRecord(message.parameters),
    inputHeaders: message.inputs,
    decodeInputs: () => decodeInferInputs(message, limits),
    outputs: message.outputs.map((o) => ({ name: o.name, parameters: parametersToRecord(o.parameters) })),
  };
}

function encodeResponse(response: InferResponse, mode: ContentsMode): inference.ModelInferResponse {
  const { outputs, rawOutputContents } = encodeInferOutputs(response.outputs, mode);
  return {
    modelName: response.modelName,
    modelVersion: response.modelVersion,
    id: response.id,
    parameters: {},
    outputs,
    rawOutputContents,
  };
}

function toDuration(d: { count: number; ns: bigint }): inference.StatisticDuration {
  return { count: BigInt(d.count), ns: d.ns };
}

function encodeStatistics(s: VersionStatistics): inference.ModelStatistics {
  return {
    name: s.name,
    version: s.version,
    lastInference: BigInt(s.lastInferenceMs),
    inferenceCount: BigInt(s.inferenceCount),
    executionCount: BigInt(s.executionCount),
    inferenceStats: {
      success: toDuration(s.success),
      fail: toDuration(s.fail),
      queue: toDuration(s.queue),
      computeInput: toDuration(s.computeInput),
      computeInfer: toDuration(s.computeInfer),
      computeOutput: toDuration(s.computeOutput),
      cacheHit: { count: 0n, ns: 0n },
      cacheMiss: { count: 0n, ns: 0n },
    },
    batchStats: [...s.batches.values()]
      .sort((a, b) => a.batchSize - b.batchSize)
      .map((b) => ({
        batchSize: BigInt(b.batchSize),
        computeInput: toDuration(b.computeInput),
        computeInfer: toDuration(b.computeInfer),
        computeOutput: toDuration(b.computeOutput),
      })),
  };
}

/** V2 datatype -> Triton's config DataType (BYTES is TYPE_STRING there). */
function configDataType(datatype: string): inference.DataType {
  const name = datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
  return inference.dataTypeFromJSON(name);
}

function encodeModelConfig(c: ServedModelConfig): inference.ModelConfig {
  const policy = c.versionPolicy;
  const batching = c.dynamicBatching;
  return inference.ModelConfig.fromPartial({
    name: c.name,
    platform: c.platform,
    backend: c.backend,
    versionPolicy:
      policy.kind === 'latest'
        ? { latest: { numVersions: policy.numVersions } }
        : policy.kind === 'all'
          ? { all: {} }
          : { specific: { versions: policy.versions.map(BigInt) } },
    maxBatchSize: c.maxBatchSize,
    input: c.inputs.map((t) => ({
      name: t.name,
      dataType: configDataType(t.datatype),
      dims: t.shape.map(BigInt),
    })),
    output: c.outputs.map((t) => ({
      name: t.name,
      dataType: configDataType(t.datatype),
      dims: t.shape.map(BigInt),
      labelFilename: t.labelFilename,
    })),
    dynamicBatching:
      batching === undefined
        ? undefined
        : {
            preferredBatchSize: [...batching.preferredBatchSizes],
            maxQueueDelayMicroseconds: BigInt(batching.maxQueueDelayUs),
            preserveOrdering: true,
            defaultQueuePolicy: { maxQueueSize: batching.maxQueueSize },
          },
    instanceGroup: [
      {
        name: `${c.name}_0`,
        kind:
          c.instanceGroup.kind === 'gpu'
            ? inference.ModelInstanceGroup_Kind.KIND_GPU
            : inference.ModelInstanceGroup_Kind.KIND_CPU,
        count: c.instanceGroup.count,
      },
    ],
  });
}

function loadParameters(parameters: {
  [key: string]: inference.ModelRepositoryParameter;
}): Record<string, LoadParameterValue | undefined> {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, p]) => [
      key,
      p.stringParam ?? p.boolParam ?? p.int64Param ?? p.bytesParam,
    ]),
  );
}

/** Adds the inference service to `server`. */
export function registerInferenceService(
  server: Server,
  kit: CallKit,
  dataPlane: InferenceDataPlane,
  limits: AdapterLimits,
): void {
  const m = (name: string) => `${SERVICE}/${name}`;
  // Resolved once here, not per request.
  const decodeLimits = resolveDecodeLimits(limits.tensorDecode);
  const implementation: inference.GRPCInferenceServiceServer = {
    serverLive: unary(kit, m('ServerLive'), async () => ({ live: dataPlane.live() })),
    serverReady: unary(kit, m('ServerReady'), async () => ({ ready: dataPlane.ready() })),
    modelReady: unary(kit, m('ModelReady'), async (req: inference.ModelReadyRequest) => ({
      ready: dataPlane.modelReady(req.name, req.version),
    })),
    serverMetadata: unary(kit, m('ServerMetadata'), async () => {
      const identity = dataPlane.serverMetadata();
      return { name: identity.name, version: identity.version, extensions: [...identity.extensions] };
    }),
    modelMetadata: unary(kit, m('ModelMetadata'), async (req: inference.ModelMetadataRequest) => {
      const metadata = await dataPlane.modelMetadata(req.name, req.version);
      const tensor = (t: { name: string; datatype: string; shape: readonly number[] }) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape.map((d) => BigInt(d)),
      });
      return {
        name: metadata.name,
        versions: [...metadata.versions],
        platform: metadata.platform,
        inputs: metadata.inputs.map(tensor),
        outputs: metadata.outputs.map(tensor),
        parameters: Object.fromEntries(
          Object.entries(metadata.parameters).map(([key, value]) => [key, { stringParam: value }]),
        ),
      };
    }),
    modelInfer: unary(kit, m('ModelInfer'), async (req: inference.ModelInferRequest, call) => {
      const response = await dataPlane.infer(decodeRequest(req, decodeLimits), { cancellation: call });
      return encodeResponse(response, responseContentsMode(req));
    }),
    modelStreamInfer: bidiStream<inference.ModelInferRequest, inference.ModelStreamInferResponse>(
      kit,
      m('ModelStreamInfer'),
      {
        maxInFlight: limits.streamMaxInFlight,
        handle: async (req, call) => {
          const response = await dataPlane.infer(decodeRequest(req, decodeLimits), { cancellation: call });
          return { errorMessage: '', inferResponse: encodeResponse(response, responseContentsMode(req)) };
        },
        onError: (status, req) => ({
          errorMessage: status.details,
          inferResponse: inference.ModelInferResponse.fromPartial({
            modelName: req.modelName,
            modelVersion: req.modelVersion,
            id: req.id,
          }),
        }),
      },
    ),
    modelConfig: unary(kit, m('ModelConfig'), async (req: inference.ModelConfigRequest) => ({
      config: encodeModelConfig(await dataPlane.modelConfig(req.name, req.version)),
    })),
    modelStatistics: unary(kit, m('ModelStatistics'), async (req: inference.ModelStatisticsRequest) => ({
      modelStats: (await dataPlane.statistics(req.name, req.version)).map(encodeStatistics),
    })),
    repositoryIndex: unary(kit, m('RepositoryIndex'), async (req: inference.RepositoryIndexRequest) => ({
      models: (await dataPlane.repositoryIndex(req.ready)).map((row) => ({ ...row })),
    })),
    repositoryModelLoad: unary(
      kit,
      m('RepositoryModelLoad'),
      async (req: inference.RepositoryModelLoadRequest) => {
        await dataPlane.loadModel(req.modelName, loadParameters(req.parameters));
        return {};
      },
    ),
    repositoryModelUnload: unary(
      kit,
      m('RepositoryModelUnload'),
      async (req: inference.RepositoryModelUnloadRequest) => {
        await dataPlane.unloadModel(req.modelName);
        return {};
      },
    ),
  };
  server.addService(inference.GRPCInferenceServiceService, implementation);
}
