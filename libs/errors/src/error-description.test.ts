import { describe, expect, it } from 'vitest';
import { errorCode, errorMessage } from './error-description.js';
import { NotFoundError, UnavailableError } from './sightline-error.js';

describe('errorCode', () => {
  it("reads a Sightline error's code, a numeric gRPC status, and an abort", () => {
    expect(errorCode(new NotFoundError('model "m" not found'))).toBe('NOT_FOUND');
    expect(errorCode(new UnavailableError('down'))).toBe('UNAVAILABLE');
    expect(errorCode(Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: 14 }))).toBe(
      'UNAVAILABLE',
    );
    expect(errorCode(Object.assign(new Error('8 RESOURCE_EXHAUSTED'), { code: 8 }))).toBe(
      'RESOURCE_EXHAUSTED',
    );
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(errorCode(abort)).toBe('CANCELLED');
  });

  it('names everything else INTERNAL', () => {
    expect(errorCode(new Error('boom'))).toBe('INTERNAL');
    expect(errorCode(Object.assign(new Error('2 UNKNOWN'), { code: 2 }))).toBe('INTERNAL');
    expect(errorCode(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe('INTERNAL');
    expect(errorCode({ code: 99 })).toBe('INTERNAL');
    expect(errorCode('text')).toBe('INTERNAL');
    expect(errorCode(undefined)).toBe('INTERNAL');
    expect(errorCode(null)).toBe('INTERNAL');
  });
});

describe('errorMessage', () => {
  it("is an Error's message, or the value as a string", () => {
    expect(errorMessage(new NotFoundError('model "m" not found'))).toBe('model "m" not found');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
