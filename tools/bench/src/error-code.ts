import { status } from '@grpc/grpc-js';

/**
 * Names the kind of a failed call: the gRPC status name (`UNAVAILABLE`,
 * `RESOURCE_EXHAUSTED`, ...) for gRPC errors, `ERROR` for anything else (an exception in
 * an in-process runtime, for instance).
 */
export function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number' && typeof status[code] === 'string') return status[code];
  }
  return 'ERROR';
}
