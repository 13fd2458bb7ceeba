/**
 * The regular expressions of switch `matches` conditions, run by RE2 (re2js, pure
 * JavaScript): matching takes time linear in the input whatever the pattern, so a pattern
 * like `^(a+)+$` cannot stall the event loop as a backtracking engine would. RE2 has no
 * backreferences or lookaround; such a pattern is refused at validation.
 */
import { RE2JS } from 're2js';

/** Compiled patterns kept for reuse; a graph holds few, so the bound is rarely reached. */
export const MAX_CACHED_PATTERNS = 1024;

/** Why `pattern` is not RE2 syntax, or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Compiled patterns, by pattern text. A memo of a pure function, bounded, rather than a
 * compiled form carried on each graph: the condition evaluator stays a plain function of
 * the spec (engine/condition.ts) and a pattern compiles once however many graphs use it.
 */
const compiled = new Map<string, RE2JS | undefined>();

/**
 * Whether `pattern` matches anywhere in `value` (anchor it with `^...$`). A pattern that is
 * not RE2 syntax (validation refuses those) matches nothing: a condition that cannot be
 * evaluated is false.
 */
export function patternMatches(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined && !compiled.has(pattern)) {
    if (compiled.size >= MAX_CACHED_PATTERNS) compiled.clear();
    re = patternProblem(pattern) === undefined ? RE2JS.compile(pattern) : undefined;
    compiled.set(pattern, re);
  }
  return re?.test(value) === true;
}
