import { describe, expect, it } from 'vitest';
import { patternMatches, patternProblem } from './condition-pattern.js';

describe('patternMatches', () => {
  it('matches anywhere unless anchored, as the contract says', () => {
    expect(patternMatches('b+', 'abbbc')).toBe(true);
    expect(patternMatches('^b+$', 'abbbc')).toBe(false);
    expect(patternMatches('^tenant-[0-9]+$', 'tenant-42')).toBe(true);
  });

  it('answers a catastrophic-backtracking pattern in linear time (RE2)', () => {
    // A backtracking engine takes seconds on 31 characters and never returns on 10,000.
    expect(patternMatches('^(a+)+$', `${'a'.repeat(31)}!`)).toBe(false);
    expect(patternMatches('^(a+)+$', `${'a'.repeat(10_000)}!`)).toBe(false);
    expect(patternMatches('^(a|aa)+$', 'a'.repeat(10_000))).toBe(true);
  });

  it('refuses what RE2 cannot compile, and such a pattern matches nothing', () => {
    expect(patternProblem('(a)\\1')).toBeDefined();
    expect(patternProblem('(?=a)')).toBeDefined();
    expect(patternProblem('^(a+)+$')).toBeUndefined();
    expect(patternMatches('(a)\\1', 'aa')).toBe(false);
  });
});
