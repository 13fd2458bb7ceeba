import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromServiceError } from './grpc-status-error.js';

const serviceError = (code: status, details: string) => Object.assign(new Error(details), { code, details });

describe('fromServiceError', () => {
  it('keeps the codes a caller can act on', () => {
    expect(fromServiceError(serviceError(status.NOT_FOUND, 'model "m" not found')).code).toBe('NOT_FOUND');
    expect(fromServiceError(serviceError(status.UNAVAILABLE, 'down')).code).toBe('UNAVAILABLE');
  });

  it("answers an upstream refusing the router's credentials as INTERNAL naming the status", () => {
    for (const code of [status.UNAUTHENTICATED, status.PERMISSION_DENIED]) {
      const error = fromServiceError(serviceError(code, 'Protocol not secure enough'));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toBe(`${status[code]}: Protocol not secure enough`);
    }
  });
});
