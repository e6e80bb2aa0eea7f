/**
 * The one rule for every string the product accepts (metric values, names, labels, filters,
 * thresholds, key names): no NUL character and no lone UTF-16 surrogate. PostgreSQL refuses NUL
 * in text and JSON (22021, 22P05), and a lone surrogate cannot be encoded as UTF-8, so it would
 * be stored silently replaced by U+FFFD; refusing both at the edge keeps a value from being
 * accepted and then failing, or changing, in a store (docs/architecture.md, "Poison input").
 * Everything else is kept as sent, control characters included.
 */
// NUL; a high surrogate not followed by a low one, or a low one not preceded by a high one.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const TEXT_RULE = 'text must not contain NUL (U+0000) or unpaired UTF-16 surrogates';

/** Why `text` cannot be accepted, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  const found = UNSTORABLE.exec(text);
  if (!found) return undefined;
  return found[0] === '\u0000'
    ? 'must not contain NUL (U+0000)'
    : `must not contain an unpaired UTF-16 surrogate (U+${found[0].charCodeAt(0).toString(16).toUpperCase()})`;
}
