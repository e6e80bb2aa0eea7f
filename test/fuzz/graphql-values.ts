/**
 * The GraphQL fuzzer's model of an input value, its two spellings (JSON for variables, GraphQL
 * literals for the same value written inline in the document), and the walk over its strings
 * that poisons one of them.
 */
import { Kind, print } from 'graphql';
import { quoted } from './string-escapes.js';

export type InputValue =
  | { kind: 'null' }
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: InputValue[] }
  | { kind: 'object'; fields: [string, InputValue][] };

/**
 * How values are made. `wild`: anything the type allows and, now and then, what it does not (a
 * value of another kind, null for a non-null, a required field left out or one made up, Ints
 * past 32 bits, a list or an object as a MetricValue). `tame`: values the type accepts, so that
 * the operation passes validation and the resolvers run on them, strings as odd as ever.
 */
export type Temper = 'wild' | 'tame';

/** How an inline document writes its strings: graphql's print, all escaped, or as blocks. */
export type LiteralStyle = 'print' | 'escaped' | 'block';

export const nullValue: InputValue = { kind: 'null' };
export const stringValue = (value: string): InputValue => ({ kind: 'string', value });
/** A number kept as text, so that it is sent exactly as generated (1e400, -0, 2^53 + 1). */
export const numberValue = (text: string): InputValue => ({ kind: 'number', text });
export const booleanValue = (value: boolean): InputValue => ({ kind: 'boolean', value });
export const enumValue = (value: string): InputValue => ({ kind: 'enum', value });
export const listValue = (items: InputValue[]): InputValue => ({ kind: 'list', items });
export const objectValue = (fields: [string, InputValue][]): InputValue => ({
  kind: 'object',
  fields,
});

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

export function asJson(value: InputValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return value.text;
    case 'string':
    case 'enum':
      // Lone surrogates are written as \udXXX escapes, which JSON.parse turns back into them.
      return JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map(asJson).join(',')}]`;
    case 'object':
      return `{${value.fields.map(([name, field]) => `${JSON.stringify(name)}:${asJson(field)}`).join(',')}}`;
  }
}

/** Whether `text` holds a C0 control character other than tab, LF and CR. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return true;
  }
  return false;
}

/** The value as a GraphQL literal, its strings written in `style`. */
export function asLiteral(value: InputValue, style: LiteralStyle): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return value.text;
    case 'string':
      if (style === 'escaped') return quoted(value.value, 'escaped');
      // A block string holds its characters raw: one with a control character other than tab,
      // LF or CR cannot be written as a block (the source would not parse), so it is printed.
      return print({
        kind: Kind.STRING,
        value: value.value,
        block: style === 'block' && !hasControlCharacter(value.value),
      });
    case 'enum':
      // A name that is not a GraphQL Name can only be written as a string.
      return NAME.test(value.value) ? value.value : quoted(value.value, 'escaped');
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map((item) => asLiteral(item, style)).join(', ')}]`;
    case 'object':
      return `{${value.fields
        .filter(([name]) => NAME.test(name))
        .map(([name, field]) => `${name}: ${asLiteral(field, style)}`)
        .join(', ')}}`;
  }
}

/** How many string values `value` holds. */
export function stringLeaves(value: InputValue): number {
  if (value.kind === 'string') return 1;
  if (value.kind === 'list') return value.items.reduce((sum, item) => sum + stringLeaves(item), 0);
  if (value.kind === 'object') {
    return value.fields.reduce((sum, [, field]) => sum + stringLeaves(field), 0);
  }
  return 0;
}

/** `value` with its `index`th string value (depth first) replaced by `text`. */
export function replaceLeaf(value: InputValue, index: number, text: string): InputValue {
  let left = index;
  const walk = (node: InputValue): InputValue => {
    if (node.kind === 'string') return left-- === 0 ? stringValue(text) : node;
    if (node.kind === 'list') return listValue(node.items.map(walk));
    if (node.kind === 'object') {
      return objectValue(node.fields.map(([name, field]) => [name, walk(field)]));
    }
    return node;
  };
  return walk(value);
}
