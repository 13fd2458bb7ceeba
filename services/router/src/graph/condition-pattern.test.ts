import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_MATCH_INPUT_BYTES,
  MAX_PATTERN_PROGRAM_SIZE,
  patternMatches,
  patternProblem,
  programSize,
} from './condition-pattern.js';

describe('patternMatches', () => {
  it('matches anywhere unless anchored, as the contract says', () => {
    expect(patternMatches('b+', 'abbbc')).toBe(true);
    expect(patternMatches('^b+$', 'abbbc')).toBe(false);
    expect(patternMatches('^tenant-[0-9]+$', 'tenant-42')).toBe(true);
  });

  it('answers a catastrophic-backtracking pattern in linear time (RE2)', () => {
    // A backtracking engine takes seconds on 31 characters and never returns on 10,000.
    expect(patternMatches('^(a+)+$', `${'a'.repeat(31)}!`)).toBe(false);
    expect(patternMatches('^(a+)+$', `${'a'.repeat(10_000)}!`, 20_000)).toBe(false);
    expect(patternMatches('^(a|aa)+$', 'a'.repeat(10_000), 20_000)).toBe(true);
  });

  it('refuses what RE2 cannot compile, and such a pattern matches nothing', () => {
    expect(patternProblem('(a)\\1')).toBeDefined();
    expect(patternProblem('(?=a)')).toBeDefined();
    expect(patternProblem('^(a+)+$')).toBeUndefined();
    expect(patternMatches('(a)\\1', 'aa')).toBe(false);
  });
});

describe('what a matches condition costs', () => {
  it('sees the compiled program size (re2js internals: an upgrade that hides it fails here)', () => {
    expect(programSize(RE2JS.compile('a{100}'))).toBe(102);
  });

  it('refuses a pattern whose program is large, saying so (it blocked the event loop 11 s on 100 KB)', () => {
    expect(patternProblem('(?:a?){1000}a{1000}$')).toBe(
      `compiles to 3003 RE2 instructions, more than ${MAX_PATTERN_PROGRAM_SIZE}: matching would cost that many steps per character (use smaller repetition counts)`,
    );
    expect(patternProblem('^[a-z]{1,64}(-[a-z]{1,8}){0,8}$')).toBeUndefined();
  });

  it('names the real reason of a refusal: repetition counts, backreferences, lookaround', () => {
    expect(patternProblem('^[a-z]{1,64}(-[a-z]{1,64}){0,16}$')).toBe(
      'is refused by RE2: a repetition count over 1000, nested counts multiplied (error parsing regexp: invalid repeat count: `{0,16}`)',
    );
    expect(patternProblem('(a)\\1')).toMatch(/^is refused by RE2: it has no backreferences \(/);
    expect(patternProblem('(?=a)')).toMatch(/^is refused by RE2: it has no lookaround \(/);
    expect(patternProblem('(')).toMatch(/^is not an RE2 regular expression: /);
  });

  it('reads at most --max-match-input-bytes of a value: a longer one does not match', () => {
    const limit = DEFAULT_MAX_MATCH_INPUT_BYTES;
    expect(patternMatches('a$', 'a'.repeat(limit))).toBe(true);
    expect(patternMatches('a$', 'a'.repeat(limit + 1))).toBe(false);
    // Bytes, not characters: 2,048 two-byte characters fill 4,096 bytes.
    expect(patternMatches('é$', 'é'.repeat(limit / 2))).toBe(true);
    expect(patternMatches('é$', 'é'.repeat(limit / 2 + 1))).toBe(false);
    expect(patternMatches('a$', 'aaaa', 3)).toBe(false);
  });
});
