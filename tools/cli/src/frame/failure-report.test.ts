import { InvalidArgumentError, NotFoundError } from '@sightline/errors';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_SERVER_ERROR, EXIT_USAGE_ERROR } from './exit-codes.js';
import { describeFailure } from './failure-report.js';
import { InterruptedError, UsageError } from './usage-error.js';

/** A grpc-js ServiceError's shape. */
const status = (code: number, details: string) => Object.assign(new Error(details), { code, details });

describe('describeFailure', () => {
  it('exits 2 with the sentence for a usage error', () => {
    expect(describeFailure(new UsageError('--timeout: bad'))).toEqual({
      exitCode: EXIT_USAGE_ERROR,
      message: '--timeout: bad',
    });
  });

  it("exits 2 for commander's parse errors (already printed), 0 for --help", () => {
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', 'x'))).toEqual({
      exitCode: EXIT_USAGE_ERROR,
      message: '',
    });
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({
      exitCode: EXIT_OK,
      message: '',
    });
  });

  it("exits 1 with CODE: sentence for a service's status, raw or as the SDK's family", () => {
    expect(describeFailure(status(5, 'model "x" not found'))).toEqual({
      exitCode: EXIT_SERVER_ERROR,
      message: 'NOT_FOUND: model "x" not found',
    });
    expect(
      describeFailure(new NotFoundError('graph "g" not found', { cause: status(5, 'graph "g" not found') })),
    ).toEqual({
      exitCode: EXIT_SERVER_ERROR,
      message: 'NOT_FOUND: graph "g" not found',
    });
    expect(
      describeFailure(new InvalidArgumentError('input "x": bad', { cause: status(3, 'input "x": bad') }))
        .exitCode,
    ).toBe(EXIT_SERVER_ERROR);
  });

  it('exits 130 without a word when the user interrupted a call', () => {
    expect(describeFailure(new InterruptedError())).toEqual({ exitCode: EXIT_INTERRUPTED, message: '' });
  });

  it('exits 2 when the SDK refused an argument before sending anything', () => {
    expect(describeFailure(new InvalidArgumentError('input "x": shape [2] needs 2 elements'))).toEqual({
      exitCode: EXIT_USAGE_ERROR,
      message: 'input "x": shape [2] needs 2 elements',
    });
  });

  it('calls anything else an internal error, with its stack only when debugging', () => {
    const bug = new TypeError('x is undefined');
    expect(describeFailure(bug)).toEqual({
      exitCode: EXIT_SERVER_ERROR,
      message: 'internal error: x is undefined (set SIGHTLINE_DEBUG=1 to see where)',
    });
    expect(describeFailure(bug, true).message).toContain('TypeError: x is undefined\n    at ');
  });
});
