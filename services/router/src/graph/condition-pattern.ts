/**
 * The regular expressions of switch `matches` conditions, run by RE2 (re2js, pure
 * JavaScript): matching takes time linear in the input whatever the pattern, so a pattern
 * like `^(a+)+$` cannot stall the event loop as a backtracking engine would. Linear, but
 * per character in proportion to the compiled program: `(?:a?){1000}a{1000}$` compiles to
 * 3,003 instructions and took 11 s on a 100 KB header. So both factors are bounded: the
 * program at validation ({@link MAX_PATTERN_PROGRAM_SIZE}), the text a condition reads at
 * run time (`--max-match-input-bytes`, {@link DEFAULT_MAX_MATCH_INPUT_BYTES}).
 */
import { RE2JS } from 're2js';

/** Compiled patterns kept for reuse; a graph holds few, so the bound is rarely reached. */
export const MAX_CACHED_PATTERNS = 1024;

/**
 * Most RE2 instructions a `matches` pattern may compile to. Matching costs about this many
 * steps per character at worst (about 35 ms for 500 instructions over 4 KB here, once: RE2 caches its states); patterns
 * met in routing (`^tenant-[0-9]+$`, a user-agent test, `^[a-z]{1,64}(-[a-z]{1,8}){0,8}$`
 * at 283) stay far below. Large repetition counts (`{1000}`) are what exceed it.
 */
export const MAX_PATTERN_PROGRAM_SIZE = 500;

/**
 * Default of `--max-match-input-bytes`: the longest value (UTF-8 bytes) a `matches`
 * condition reads; a longer one does not match.
 */
export const DEFAULT_MAX_MATCH_INPUT_BYTES = 4096;

/**
 * The number of instructions of `re`'s compiled program, or undefined when re2js does not
 * show it (it is not public API: condition-pattern.test.ts fails if an upgrade hides it).
 */
export function programSize(re: RE2JS): number | undefined {
  const program = (re as unknown as { re2Input?: { prog?: { inst?: unknown } } }).re2Input?.prog?.inst;
  return Array.isArray(program) ? program.length : undefined;
}

/** The reason of a pattern RE2 cannot parse, as a sentence with its cause. */
function syntaxReason(message: string): string {
  if (message.includes('invalid repeat count')) {
    return `is refused by RE2: a repetition count over 1000, nested counts multiplied (${message})`;
  }
  if (message.includes('invalid escape sequence: `\\') && /`\\[1-9]/.test(message)) {
    return `is refused by RE2: it has no backreferences (${message})`;
  }
  if (
    message.includes('(?=') ||
    message.includes('(?!') ||
    message.includes('(?<=') ||
    message.includes('(?<!')
  ) {
    return `is refused by RE2: it has no lookaround (${message})`;
  }
  return `is not an RE2 regular expression: ${message}`;
}

/**
 * Why `pattern` cannot be a `matches` condition, as the end of a sentence about it (`is
 * refused by RE2: ...`), or undefined when it compiles within {@link MAX_PATTERN_PROGRAM_SIZE}.
 */
export function patternProblem(pattern: string): string | undefined {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (error) {
    return syntaxReason((error as Error).message);
  }
  const size = programSize(re);
  if (size !== undefined && size > MAX_PATTERN_PROGRAM_SIZE) {
    return `compiles to ${size} RE2 instructions, more than ${MAX_PATTERN_PROGRAM_SIZE}: matching would cost that many steps per character (use smaller repetition counts)`;
  }
  return undefined;
}

/**
 * Compiled patterns, by pattern text. A memo of a pure function, bounded, rather than a
 * compiled form carried on each graph: the condition evaluator stays a plain function of
 * the spec (engine/condition.ts) and a pattern compiles once however many graphs use it.
 */
const compiled = new Map<string, RE2JS | undefined>();

/**
 * Whether `pattern` matches anywhere in `value` (anchor it with `^...$`). A pattern that
 * validation refuses matches nothing, nor does a value longer than `maxInputBytes` UTF-8
 * bytes: a condition that cannot be evaluated is false.
 */
export function patternMatches(
  pattern: string,
  value: string,
  maxInputBytes = DEFAULT_MAX_MATCH_INPUT_BYTES,
): boolean {
  // UTF-8 takes at least one byte per UTF-16 unit: the length alone settles most.
  if (value.length > maxInputBytes || Buffer.byteLength(value) > maxInputBytes) return false;
  let re = compiled.get(pattern);
  if (re === undefined && !compiled.has(pattern)) {
    if (compiled.size >= MAX_CACHED_PATTERNS) compiled.clear();
    re = patternProblem(pattern) === undefined ? RE2JS.compile(pattern) : undefined;
    compiled.set(pattern, re);
  }
  return re?.test(value) === true;
}
