/**
 * The machinery every service double here shares: the status errors they answer with,
 * the contract's paging, a unary handler that records requests and fails on demand, and a
 * grpc-js server on an ephemeral loopback port.
 */
import {
  type Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';

/** The page size when a request asks for none. */
const DEFAULT_PAGE_SIZE = 100;
/** The largest page a request may ask for (the contract's limit). */
const MAX_PAGE_SIZE = 1000;

/** An error a double answers with: a gRPC status code and the sentence. */
export class FakeStatus extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** A thrown error as the status a double answers: a {@link FakeStatus}'s, else INTERNAL. */
export function errorOf(error: unknown): { code: status; details: string } {
  return error instanceof FakeStatus
    ? { code: error.code, details: error.message }
    : { code: status.INTERNAL, details: String(error) };
}

/**
 * One page of `items` as the contract pages: the token is the next offset, empty after the
 * last page.
 * @throws FakeStatus INVALID_ARGUMENT for a page size over the limit or a token not issued.
 */
export function pageOf<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string,
): { page: T[]; next: string } {
  if (pageSize > MAX_PAGE_SIZE)
    throw new FakeStatus(status.INVALID_ARGUMENT, `page_size: at most ${MAX_PAGE_SIZE}, got ${pageSize}`);
  const start = pageToken === '' ? 0 : Number(pageToken);
  if (!Number.isInteger(start) || start < 0) {
    throw new FakeStatus(
      status.INVALID_ARGUMENT,
      `page_token: ${JSON.stringify(pageToken)} was not issued by this service`,
    );
  }
  const size = pageSize || DEFAULT_PAGE_SIZE;
  return {
    page: items.slice(start, start + size),
    next: start + size < items.length ? String(start + size) : '',
  };
}

/** The requests a double received, by method, and the failures a test asked it to inject. */
export class FakeCalls {
  /** Every request received, by method name, in order. */
  readonly requests = new Map<string, unknown[]>();
  /** Calls of a method still to answer UNAVAILABLE. */
  readonly failures = new Map<string, number>();

  /** Keeps `request` under `method`. */
  record(method: string, request: unknown): void {
    (this.requests.get(method) ?? this.requests.set(method, []).get(method)!).push(request);
  }

  /** A unary handler: records the request, applies injected failures, maps FakeStatus. */
  unary<Req, Res>(method: string, handle: (request: Req) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      this.record(method, call.request);
      const failing = this.failures.get(method) ?? 0;
      if (failing > 0) {
        this.failures.set(method, failing - 1);
        callback({ code: status.UNAVAILABLE, details: 'fake: unavailable for this call' });
        return;
      }
      try {
        callback(null, handle(call.request));
      } catch (error) {
        callback(errorOf(error));
      }
    };
  }
}

/** Binds `server` to an ephemeral port on 127.0.0.1 (plaintext); answers the port. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
}
