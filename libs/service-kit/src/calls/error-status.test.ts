import { status } from '@grpc/grpc-js';
import {
  DeadlineExceededError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { STATUS_MESSAGE_MAX_LENGTH, statusName, toGrpcStatus } from './error-status.js';

describe('toGrpcStatus', () => {
  it.each([
    [new InvalidArgumentError('input "x": bad'), status.INVALID_ARGUMENT],
    [new NotFoundError('model "m" not found'), status.NOT_FOUND],
    [new ResourceExhaustedError('queue full'), status.RESOURCE_EXHAUSTED],
    [new UnavailableError('down'), status.UNAVAILABLE],
    [new DeadlineExceededError('late'), status.DEADLINE_EXCEEDED],
  ])('maps %s to its status with the sentence as details', (error, code) => {
    const mapped = toGrpcStatus(error);
    expect(mapped.code).toBe(code);
    expect(mapped.details).toBe(error.message);
    expect(mapped.expected).toBe(true);
  });

  it('passes a downstream gRPC status through', () => {
    const mapped = toGrpcStatus(
      Object.assign(new Error('x'), { code: status.UNAVAILABLE, details: 'upstream down' }),
    );
    expect(mapped).toMatchObject({ code: status.UNAVAILABLE, details: 'upstream down', expected: true });
  });

  it('caps every status message, domain or downstream, saying how much was cut', () => {
    const long = 'n'.repeat(300_000);
    for (const error of [
      new NotFoundError(long),
      Object.assign(new Error('x'), { code: status.INVALID_ARGUMENT, details: long }),
    ]) {
      const { details } = toGrpcStatus(error);
      expect(details).toBe(
        `${'n'.repeat(STATUS_MESSAGE_MAX_LENGTH)}… (${300_000 - STATUS_MESSAGE_MAX_LENGTH} more characters)`,
      );
    }
  });

  it('answers with the trailing metadata an error names', () => {
    const error = Object.assign(new UnavailableError('down'), {
      trailingMetadata: { 'sightline-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' },
    });
    expect(toGrpcStatus(error).metadata.get('sightline-trace-id')).toEqual([
      '4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
    expect(toGrpcStatus(new UnavailableError('down')).metadata.getMap()).toEqual({});
  });

  it('hides unexpected errors behind INTERNAL and marks them for the error log', () => {
    for (const error of [new Error('secret path /etc/x'), new InternalError('boom'), 'text']) {
      const mapped = toGrpcStatus(error);
      expect(mapped.code).toBe(status.INTERNAL);
      expect(mapped.expected).toBe(false);
      expect(mapped.details).not.toContain('/etc/x');
    }
  });

  it('names status codes', () => {
    expect(statusName(status.RESOURCE_EXHAUSTED)).toBe('RESOURCE_EXHAUSTED');
  });
});
