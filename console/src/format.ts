/** How values read in the console: local times, metric values as they came. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function value(v: number | boolean | string | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

/** `site=north, floor=2` as labels; pairs missing a key or a value are left out. */
export function parseLabels(text: string): { key: string; value: string }[] {
  return text
    .split(',')
    .map((pair) => pair.split('=').map((part) => part.trim()))
    .filter(([key, v]) => key && v)
    .map(([key, v]) => ({ key: key!, value: v! }));
}

export const labelsText = (labels: { key: string; value: string }[]) =>
  labels.map(({ key, value: v }) => `${key}=${v}`).join(', ');

/** A typed value as the API's MetricValue: a number, true or false, else the text itself. */
export function metricValue(text: string): number | boolean | string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}
