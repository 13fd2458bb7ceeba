/**
 * Which client carries the upstream ModelInfer calls of both paths (a setting; kept free of
 * imports so reading the settings loads no gRPC code).
 */

/**
 * `http2`: the lean hand-written node:http2 unary channel (targets it supports; the others
 * stay on grpc-js). `grpc-js`: the grpc-js client for every call. `connect`:
 * `@connectrpc/connect-node`'s gRPC client (`host:port` targets; the others stay on grpc-js).
 */
export const UPSTREAM_CLIENT_KINDS = ['http2', 'grpc-js', 'connect'] as const;

/** One of {@link UPSTREAM_CLIENT_KINDS}. */
export type UpstreamClientKind = (typeof UPSTREAM_CLIENT_KINDS)[number];

/**
 * Default HTTP/2 PING interval of upstream connections, in ms: 0, no pings (grpc-js's and
 * gRPC core's default), since gRPC servers by default answer pings on a connection without
 * data more often than every 5 minutes with GOAWAY `too_many_pings`.
 */
export const DEFAULT_UPSTREAM_KEEPALIVE_TIME_MS = 0;

/** Default wait for a PING's answer before the connection is closed, in ms (gRPC core's 20 s). */
export const DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS = 20_000;
