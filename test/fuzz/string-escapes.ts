/**
 * Strings written with their escapes: `visible` for reports, `quoted` for the sources the fuzzers
 * send. GraphQL string literals escape as JSON ones do (\", \\, \uXXXX), so `quoted` writes both.
 */

/**
 * `text` for reports: every UTF-16 unit outside printable ASCII written as \uXXXX, and a
 * backslash as \\ (so that a real NUL, \u0000, differs from the six characters "\u0000").
 */
export function visible(text: string, max = 300): string {
  let out = '';
  for (const unit of text.slice(0, max)) {
    for (let i = 0; i < unit.length; i++) {
      const code = unit.charCodeAt(i);
      if (code === 0x5c) out += '\\\\';
      else if (code >= 0x20 && code < 0x7f) out += unit[i];
      else out += `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
  return text.length > max ? `${out}…(${text.length} UTF-16 units)` : out;
}

export type QuoteMode = 'stringify' | 'escaped' | 'raw';

/**
 * A JSON (or GraphQL) string literal: `stringify` as JSON.stringify writes it (lone surrogates
 * and controls escaped), `escaped` with every unit outside printable ASCII as \uXXXX (upper-case
 * hex), `raw` with only what JSON requires escaped (a lone surrogate then reaches the wire as
 * U+FFFD).
 */
export function quoted(text: string, mode: QuoteMode): string {
  if (mode === 'stringify') return JSON.stringify(text);
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code < 0x20 || (mode === 'escaped' && code >= 0x7f)) {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += text[i];
  }
  return `${out}"`;
}
