/**
 * The metric names a PromQL expression reads, without a PromQL parser: strings, label matchers,
 * range selectors and grouping label lists are removed first, then every remaining identifier
 * that is not a function call, a keyword, a Grafana variable or part of a number or duration is
 * a metric name. Enough for the rules and panels in infra/; not a general PromQL front end.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const before = stripped[match.index - 1] ?? '';
    const after = stripped.slice(match.index + word.length).trimStart();
    if (/[0-9.$]/.test(before)) continue; // 1e3, 5m, $__rate_interval
    if (after.startsWith('(')) continue; // a function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
