/**
 * Which client carries the upstream ModelInfer calls of both paths (a setting; kept free of
 * imports so reading the settings loads no gRPC code).
 */

/**
 * `http2`: the lean node:http2 unary channel (targets it supports; the others stay on
 * grpc-js). `grpc-js`: the grpc-js client for every call.
 */
export const UPSTREAM_CLIENT_KINDS = ['http2', 'grpc-js'] as const;

/** One of {@link UPSTREAM_CLIENT_KINDS}. */
export type UpstreamClientKind = (typeof UPSTREAM_CLIENT_KINDS)[number];
