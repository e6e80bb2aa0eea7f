import type { ExportFormatName } from './parameters.js';

/** Each format's media type, as the response's Content-Type names it and Accept may ask for it. */
export const MEDIA_TYPES: Readonly<Record<ExportFormatName, string>> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
};

/** Both formats, in the order a tie is broken in: CSV, the one every spreadsheet opens. */
const PREFERENCE: readonly ExportFormatName[] = ['csv', 'ndjson'];

/**
 * The format an `Accept` header asks for (RFC 9110 §12.5.1): each format takes the q of the most
 * specific media range that matches it (`text/csv` before `text/*` before `*\/*`), the highest q
 * above 0 wins, CSV on a tie. No header, or an empty one, accepts anything: CSV. Undefined when
 * the header allows neither (406).
 */
export function negotiateFormat(accept: string | undefined): ExportFormatName | undefined {
  if (accept === undefined || accept.trim() === '') return PREFERENCE[0];
  const ranges = accept.split(',').flatMap((part) => {
    const [range = '', ...params] = part.split(';').map((token) => token.trim().toLowerCase());
    const slash = range.indexOf('/');
    if (slash <= 0 || slash === range.length - 1) return [];
    const q = params.find((param) => /^q\s*=/.test(param));
    const weight = q === undefined ? 1 : Number(q.slice(q.indexOf('=') + 1).trim());
    if (!Number.isFinite(weight) || weight < 0 || weight > 1) return [];
    return [{ type: range.slice(0, slash), subtype: range.slice(slash + 1), weight }];
  });
  let best: ExportFormatName | undefined;
  let bestWeight = 0;
  for (const format of PREFERENCE) {
    const [type, subtype] = MEDIA_TYPES[format].split('/') as [string, string];
    let specificity = -1;
    let weight = 0;
    for (const range of ranges) {
      const matches =
        range.type === '*'
          ? range.subtype === '*'
          : range.type === type && (range.subtype === '*' || range.subtype === subtype);
      if (!matches) continue;
      const rank = range.type === '*' ? 0 : range.subtype === '*' ? 1 : 2;
      if (rank > specificity) [specificity, weight] = [rank, range.weight];
    }
    if (weight > bestWeight) [best, bestWeight] = [format, weight];
  }
  return best;
}
