import { NotFoundError, UnavailableError } from '@sightline/errors';
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

  it('leaves every other error as it is', () => {
    const other = new UnavailableError('upstream "m" is down');
    expect(explainUnreachable(other, connection)).toBe(other);
    const notFound = new NotFoundError('No connection established.');
    expect(explainUnreachable(notFound, connection)).toBe(notFound);
    expect(explainUnreachable(other, undefined)).toBe(other);
  });
});
