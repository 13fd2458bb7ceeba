/**
 * Builds a grpc-js server with the limits, credentials, health and reflection every service
 * has. Services add their own implementations before `bind`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import protoRoot from '@sightline/contracts/proto-root';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { ServerConfig } from '../config/server-config.js';
import { bindReason } from './bind-reason.js';

/**
 * Where grpc-health-check keeps `health/v1/health.proto`: the Health service every server
 * has is offered by reflection from the very file its implementation is built from.
 */
const HEALTH_PROTO_FILE = 'health/v1/health.proto';
const HEALTH_PROTO_ROOT = path.resolve(path.dirname(healthProtoPath), '../..');

/** A grpc-js server with the standard services attached. */
export interface ServiceServer {
  readonly server: Server;
  readonly health: HealthImplementation;
  /** The service names registered for health checks (besides the overall ""). */
  readonly healthServiceNames: readonly string[];
}

/**
 * Creates the server. `protoFiles` (relative to proto/, e.g. `inference/grpc_service.proto`)
 * and `grpc.health.v1.Health` are offered through gRPC server reflection so grpcurl and
 * friends can call them without local .proto files; `serviceNames` get health entries
 * (NOT_SERVING until ready).
 */
export function createServiceServer(
  config: Pick<ServerConfig, 'maxReceiveMessageBytes' | 'maxSendMessageBytes'>,
  options: { readonly protoFiles: readonly string[]; readonly serviceNames: readonly string[] },
): ServiceServer {
  const server = new Server({
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    // Channelz bookkeeping costs every call and no channelz service is exposed.
    'grpc.enable_channelz': 0,
    // Answer keepalive pings from clients that keep channels open (router, SDKs): the SDK
    // pings every 30 s while a call such as a following tail is open (10 s timeout), so a
    // frozen server is found. Pings as often as every 10 s are accepted, with or without
    // calls, so no client is answered GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") at the
    // values gRPC documents (grpc-js 1.14 answers every PING; these state the policy).
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  const statusMap: Record<string, 'SERVING' | 'NOT_SERVING'> = { '': 'NOT_SERVING' };
  for (const name of options.serviceNames) statusMap[name] = 'NOT_SERVING';
  const health = new HealthImplementation(statusMap);
  health.addToServer(server);
  {
    const definition = loadSync([...options.protoFiles, HEALTH_PROTO_FILE], {
      includeDirs: [protoRoot, HEALTH_PROTO_ROOT],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    new ReflectionService(definition).addToServer(server);
  }
  return { server, health, healthServiceNames: options.serviceNames };
}

/** Server credentials from the TLS settings: insecure, TLS, or mutual TLS. */
export async function serverCredentials(
  config: Pick<ServerConfig, 'tlsCertFile' | 'tlsKeyFile' | 'tlsCaFile' | 'tlsRequireClientCert'>,
): Promise<ServerCredentials> {
  if (!config.tlsCertFile && !config.tlsKeyFile) {
    if (config.tlsCaFile || config.tlsRequireClientCert) {
      throw new Error('--tls-ca-file and --tls-require-client-cert need --tls-cert-file and --tls-key-file');
    }
    return ServerCredentials.createInsecure();
  }
  if (!config.tlsCertFile || !config.tlsKeyFile) {
    throw new Error('TLS needs both --tls-cert-file and --tls-key-file');
  }
  if (config.tlsRequireClientCert && !config.tlsCaFile) {
    throw new Error('--tls-require-client-cert needs --tls-ca-file to verify client certificates against');
  }
  const [cert, key, ca] = await Promise.all([
    readFile(config.tlsCertFile),
    readFile(config.tlsKeyFile),
    config.tlsCaFile ? readFile(config.tlsCaFile) : Promise.resolve(null),
  ]);
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: cert, private_key: key }],
    config.tlsRequireClientCert,
  );
}

/**
 * Binds and returns the port actually bound (the asked one, or a free one for 0).
 *
 * @throws Error with one sentence naming the address and `--grpc-port` (e.g. the port is in
 *   use), with grpc-js's error as its cause.
 */
export function bindServer(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (!error) return resolve(port);
      reject(new Error(`gRPC port ${address} (--grpc-port): ${bindReason(error.message)}`, { cause: error }));
    });
  });
}
