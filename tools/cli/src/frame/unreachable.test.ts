import { DeadlineExceededError, NotFoundError, UnavailableError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { explainUnreachable } from './unreachable.js';

const connection = { service: 'router', address: '127.0.0.1:8000', timeoutMs: 1000 } as const;

describe('explainUnreachable', () => {
  it('names the service, its address and the reason, keeping UNAVAILABLE', () => {
    const raw = new UnavailableError(
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:8000. Resolution note: ',
    );
    const explained = explainUnreachable(raw, connection) as UnavailableError;
    expect(explained.code).toBe('UNAVAILABLE');
    expect(explained.message).toBe(
      'cannot reach the router at 127.0.0.1:8000 (connect ECONNREFUSED 127.0.0.1:8000); is it running? (sightline start runs the local stack)',
    );
    expect(explained.cause).toBe(raw);
  });

  it("reduces OpenSSL's multi-line error to its reason", () => {
    const raw = new UnavailableError(
      'No connection established. Last error: Error: 806C8297E27F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n. Resolution note: ',
    );
    expect((explainUnreachable(raw, connection) as Error).message).toBe(
      'cannot reach the router at 127.0.0.1:8000 (TLS: tlsv13 alert certificate required); check --tls-ca, --tls-cert, --tls-key and --tls-server-name',
    );
  });

  it("names the service, its address and --timeout when it did not answer in time, not grpc-js's timing notes", () => {
    const raw = new DeadlineExceededError(
      'Deadline exceeded after 0.994s,name resolution: 0.045s,metadata filters: 0.002s,Waiting for LB pick',
    );
    const explained = explainUnreachable(raw, connection) as DeadlineExceededError;
    expect(explained.code).toBe('DEADLINE_EXCEEDED');
    expect(explained.message).toBe('the router at 127.0.0.1:8000 did not answer within 1s (--timeout)');
    expect(explained.cause).toBe(raw);
    const ms = explainUnreachable(raw, { ...connection, timeoutMs: 500 }) as Error;
    expect(ms.message).toBe('the router at 127.0.0.1:8000 did not answer within 500ms (--timeout)');
    // A server's own DEADLINE_EXCEEDED sentence is its answer: kept.
    const server = new DeadlineExceededError('node "iris": the upstream did not answer in 30000 ms');
    expect(explainUnreachable(server, connection)).toBe(server);
  });

  it('names the service and its address when the connection drops mid-call', () => {
    const raw = new UnavailableError('Connection dropped');
    const explained = explainUnreachable(raw, connection) as UnavailableError;
    expect(explained.code).toBe('UNAVAILABLE');
    expect(explained.message).toBe(
      'the router at 127.0.0.1:8000 dropped the connection or stopped answering keepalive pings (it stopped, froze or restarted?); call again',
    );
  });

  it('leaves every other error as it is', () => {
    const other = new UnavailableError('upstream "m" is down');
    expect(explainUnreachable(other, connection)).toBe(other);
    const notFound = new NotFoundError('No connection established.');
    expect(explainUnreachable(notFound, connection)).toBe(notFound);
    expect(explainUnreachable(other, undefined)).toBe(other);
  });
});
