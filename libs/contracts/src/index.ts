/**
 * Generated contracts, grouped by protobuf package. Everything under `gen/` is produced by
 * `buf generate` from proto/ at build time and is never edited or committed.
 */
export * as inference from './gen/inference/grpc_service.js';
