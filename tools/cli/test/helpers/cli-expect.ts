/**
 * What the CLI's tests expect of a run, the same in every command's test: success with a
 * quiet stderr, or a failure told in one sentence without a stack trace.
 */
import { expect } from 'vitest';
import { type CliRun, hasStackTrace } from './run-cli.js';

/** The run succeeded and wrote nothing to stderr. */
export function expectOk(run: CliRun): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

/** The run failed with `code` (1: the service refused, 2: usage) in one line matching `pattern`, no stack. */
export function expectOneSentence(run: CliRun, code: 1 | 2, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(hasStackTrace(run.stderr)).toBe(false);
}
