import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GRPC_STATUS_NAMES } from './error-description.js';
import { errorFromStatus, fieldNamedIn } from './error-from-status.js';
import { ERROR_CODES, InternalError, InvalidArgumentError, SightlineError } from './sightline-error.js';

describe('fieldNamedIn', () => {
  it('reads the field a server sentence starts with', () => {
    expect(fieldNamedIn('page_size: at most 1000, got 5000')).toBe('page_size');
    expect(fieldNamedIn('input "x": expected 4 elements per row, got 5')).toBe('input "x"');
    expect(fieldNamedIn('node "a\\"b": the members return no tensor name in common')).toBe('node "a\\"b"');
    expect(fieldNamedIn('nodes[3].splitter.weight: must be positive')).toBe('nodes[3].splitter.weight');
    expect(fieldNamedIn('source: one of graph or document is required')).toBe('source');
  });

  it('names none for sentences that do not start with a field', () => {
    expect(fieldNamedIn('model "iris" is not loaded')).toBeUndefined();
    expect(fieldNamedIn('No connection established. Last error: connect ECONNREFUSED')).toBeUndefined();
    expect(fieldNamedIn('')).toBeUndefined();
  });

  it('never throws and names only a prefix of the sentence', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (sentence) => {
        const field = fieldNamedIn(sentence);
        if (field !== undefined) expect(sentence.startsWith(`${field}: `)).toBe(true);
      }),
    );
  });
});

describe('errorFromStatus', () => {
  it('maps every status the family has a code for to the class of that code', () => {
    for (const code of ERROR_CODES) {
      const status = GRPC_STATUS_NAMES.indexOf(code);
      const error = errorFromStatus(status, 'it failed');
      expect(error).toBeInstanceOf(SightlineError);
      expect(error.code).toBe(code);
      expect(error.message).toBe('it failed');
    }
  });

  it('keeps the sentence, the field it names and the cause', () => {
    const cause = new Error('3 INVALID_ARGUMENT: input "x": bad');
    const error = errorFromStatus(3, 'input "x": bad', { cause });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.field).toBe('input "x"');
    expect(error.cause).toBe(cause);
  });

  it('answers statuses outside the family as INTERNAL naming the status', () => {
    expect(errorFromStatus(2, 'boom')).toBeInstanceOf(InternalError);
    expect(errorFromStatus(2, 'boom').message).toBe('UNKNOWN: boom');
    expect(errorFromStatus(10, '').message).toBe('ABORTED');
    expect(errorFromStatus(99, 'odd').message).toBe('status 99: odd');
  });

  it('answers any status and sentence with a family error', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 20 }), fc.string(), (status, details) => {
        expect(errorFromStatus(status, details)).toBeInstanceOf(SightlineError);
      }),
    );
  });
});
