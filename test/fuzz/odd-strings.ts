/**
 * Strings made of every class of odd character, for both fuzz suites, and what tells the ones
 * no store can hold as text (NUL, lone surrogates) from the rest.
 */
import fc from 'fast-check';

/** Every class of odd character, by name (the names say what each one is). */
const ODD_CHARACTERS = {
  nul: '\u0000',
  soh: '\u0001',
  tab: '\t',
  lf: '\n',
  cr: '\r',
  esc: '\u001b',
  us: '\u001f',
  del: '\u007f',
  c1Pad: '\u0080',
  c1Nel: '\u0085',
  c1Apc: '\u009f',
  nbsp: '\u00a0',
  quote: '"',
  backslash: '\\',
  slash: '/',
  highSurrogate: '\ud800',
  highSurrogateLast: '\udbff',
  lowSurrogate: '\udc00',
  lowSurrogateLast: '\udfff',
  emojiHighHalf: '\ud83d',
  emojiLowHalf: '\ude00',
  bom: '\ufeff',
  fffe: '\ufffe',
  ffff: '\uffff',
  replacement: '\ufffd',
  lrm: '\u200e',
  rlm: '\u200f',
  rlo: '\u202e',
  rli: '\u2067',
  zwj: '\u200d',
  lineSeparator: '\u2028',
  paragraphSeparator: '\u2029',
  combiningAcute: '\u0301',
  emoji: '😀',
  family: '👨‍👩‍👧',
  flag: '🇩🇪',
  mathFraktur: '𝔘',
  maxCodePoint: '\u{10ffff}',
  cjk: '中',
  arabic: 'ع',
  eAcute: 'é',
  fullwidthDigit: '１',
} as const;

const oddCharacter = fc.constantFrom(...Object.values(ODD_CHARACTERS));

/**
 * Strings of every kind: empty, plain, odd characters anywhere (ends included), whole strings
 * of one odd character near and over the 256-character limit (astral ones count one character
 * each but two UTF-16 units), and arbitrary Unicode.
 */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof(oddCharacter, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join('')),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(oddCharacter, fc.string({ maxLength: 6 }), oddCharacter)
      .map(([first, middle, last]) => first + middle + last),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', 'é', '😀', '\u0000', '\ud800', '中', '\u200f'),
        fc.constantFrom(0, 1, 63, 64, 65, 255, 256, 257, 300, 1000),
        fc.constantFrom('', '\ud83d', '\u0000', '😀', 'x'),
      )
      .map(([unit, count, tail]) => unit.repeat(count) + tail),
  },
  {
    // What no store can hold as text, anywhere in an otherwise plain string.
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'),
        fc.string({ maxLength: 6 }),
      )
      .map(([before, bad, after]) => before + bad + after),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
);

/** The odd characters that make a string unstorable as text: NUL and lone surrogates. */
export function unstorableCharacters(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) found.push('NUL U+0000');
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else found.push(`lone high surrogate U+${unit.toString(16).toUpperCase()}`);
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      found.push(`lone low surrogate U+${unit.toString(16).toUpperCase()}`);
    }
  }
  return found;
}

/**
 * The classes of unstorableCharacters(text) (NUL, lone high or low surrogate), without the code
 * point: one name for one fault, whatever character was generated.
 */
export function unstorableKinds(text: string): string[] {
  return unstorableCharacters(text).map((found) => found.replace(/ U\+\w+$/, ''));
}

/** Odd strings a store can hold as text (no NUL, no lone surrogate). */
export const storableString = oddString.filter((text) => unstorableCharacters(text).length === 0);

/** `text` cut short at `cut` (junk ''), or with `junk` spliced in there: a malformed source. */
export function spliced(text: string, cut: number, junk: string): string {
  return text.slice(0, cut) + junk + (junk === '' ? '' : text.slice(cut));
}
