/**
 * Finds the metric names a PromQL expression selects. Not a parser: it removes what cannot
 * be a metric name (strings, label matchers, ranges, grouping label lists, Grafana
 * variables, numbers, keywords, function names) and returns the identifiers left.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
  'inf',
  'nan',
]);

/** Metric names selected by `expr`. */
export function metricNamesIn(expr: string): string[] {
  let text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  // Function calls (identifier followed by an opening parenthesis) are not selectors.
  text = text.replace(/[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(/g, ' (');
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![0-9.a-zA-Z_:])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    if (!KEYWORDS.has(word.toLowerCase())) names.add(word);
  }
  return [...names];
}
