/**
 * The `inference` package: the Open Inference Protocol service (grpc_service.proto) and
 * the Triton model configuration its ModelConfig RPC answers with (model_config.proto).
 * Both generated files export their own `DeepPartial`, `MessageFns` and `protobufPackage`,
 * so the configuration's messages are named here one by one.
 */
export * from './gen/inference/grpc_service.js';
export {
  DataType,
  dataTypeFromJSON,
  dataTypeToJSON,
  ModelConfig,
  ModelDynamicBatching,
  ModelInput,
  ModelInstanceGroup,
  ModelInstanceGroup_Kind,
  ModelOutput,
  ModelQueuePolicy,
  ModelVersionPolicy,
  ModelVersionPolicy_All,
  ModelVersionPolicy_Latest,
  ModelVersionPolicy_Specific,
} from './gen/inference/model_config.js';
