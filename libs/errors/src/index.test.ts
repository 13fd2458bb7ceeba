import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, isSightlineError, NotFoundError, SightlineError } from './index.js';

describe('SightlineError family', () => {
  it('carries its code, message, name and cause', () => {
    const cause = new Error('disk');
    const error = new InvalidArgumentError('input "x": expected FP32, got INT8', { cause });
    expect(error).toBeInstanceOf(SightlineError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.name).toBe('InvalidArgumentError');
    expect(error.message).toBe('input "x": expected FP32, got INT8');
    expect(error.cause).toBe(cause);
  });

  it('is recognised by isSightlineError and plain errors are not', () => {
    expect(isSightlineError(new NotFoundError('model "m" not found'))).toBe(true);
    expect(isSightlineError(new Error('plain'))).toBe(false);
    expect(isSightlineError('text')).toBe(false);
  });
});
