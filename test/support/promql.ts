/**
 * PromQL read as text, for the tests that check what deploy/ asks Prometheus for (the Grafana
 * dashboards' queries, the alerting rules' expressions) against what the processes export. Not a
 * parser: regular expressions over an expression with its strings and comments taken out first,
 * enough for the queries this repository writes.
 */

/** Words of PromQL's grammar that are neither functions (followed by `(`) nor series. */
const PROMQL_KEYWORDS = new Set([
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

/**
 * An expression with its strings (`"…"`, `'…'`, `` `…` ``) emptied to `""` and its `#` comments
 * removed, so that nothing quoted (a label value like `"x{y}"`, a regex) reads as PromQL.
 */
export const withoutStrings = (expr: string) =>
  expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' "" ').replace(/#[^\n]*/g, ' ');

/**
 * The metric names an expression selects, each once, in order of appearance: the identifiers
 * that are not functions or aggregations (followed by `(`), keywords, label names (inside `{…}`
 * or a `by (…)`-like clause: by, without, on, ignoring, group_left, group_right), numbers or
 * durations (`0.99`, `1e3`, `5m`, ranges and subqueries `[…]`), strings, comments, or Grafana
 * variables (`${…}`, `$name`; an alerting rule has none). A series selected only by a matcher on
 * `__name__` (`{__name__="x"}`) is not read.
 */
export function promqlMetricNames(expr: string): string[] {
  const text = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/(?<![\w:])(?:\d[\w.]*|\.\d[\w.]*)/g, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = text.slice(match.index + word.length);
    if (/^\s*\(/.test(after) || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/**
 * Each `name{…}` selector of an expression, in order, with the label names its matchers test
 * (`=`, `!=`, `=~`, `!~`); the values they match are not read. A name without braces, or braces
 * without a name, is not a selector here.
 */
export function selectors(expr: string): { name: string; labels: string[] }[] {
  return [...withoutStrings(expr).matchAll(/([A-Za-z_:][\w:]*)\s*\{([^}]*)\}/g)].map((match) => ({
    name: match[1]!,
    labels: [...match[2]!.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!),
  }));
}

/**
 * The label names of an expression's `by (…)` and `without (…)` clauses, in order, repeats
 * kept. Vector matching's `on (…)`, `ignoring (…)` and `group_left/right (…)` are not read.
 */
export function groupingLabels(expr: string): string[] {
  return [...withoutStrings(expr).matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((match) =>
    match[1]!
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean),
  );
}

/**
 * Series Prometheus records for every target itself, not exported by the processes: `up` (1 when
 * the last scrape of the target succeeded) is how a dashboard shows a process down and an alert
 * fires on one.
 */
export const PER_TARGET_SERIES: ReadonlySet<string> = new Set(['up']);

/**
 * The exported family a series belongs to (`exported`: the processes' metric names): the name
 * itself, or for a histogram's or summary's `_bucket`, `_sum`, `_count` the name without it;
 * undefined for a series of no exported family.
 */
export function familyOf(name: string, exported: ReadonlySet<string>): string | undefined {
  if (exported.has(name)) return name;
  const base = /^(.+)_(?:bucket|sum|count)$/.exec(name)?.[1];
  return base && exported.has(base) ? base : undefined;
}
