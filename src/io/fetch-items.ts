import type { Response } from './response-reader.js';

/** A value in a FETCH response: NIL, a number, a string, a literal's bytes, or a list. */
export type Value = null | number | string | Buffer | Value[];

export interface FetchResponse {
  seq: number;
  /** Item names upper-cased as sent (`UID`, `BODY[]`, `BODY[HEADER.FIELDS (DATE)]`). */
  items: Map<string, Value>;
}

/**
 * Reads `* <seq> FETCH (<name> <value> ...)`; undefined for any other response. Throws on a FETCH
 * it cannot read: skipping it could drop a message from the backup without a word.
 */
export function parseFetch(r: Response): FetchResponse | undefined {
  const m = /^\* (\d+) FETCH \(/i.exec(r.text);
  if (!m) return undefined;
  const p = new Parser(r, m[0].length);
  const items = new Map<string, Value>();
  p.skipSpaces();
  while (p.peek() !== ')') {
    // `BODY[]<0>` is `BODY[]` from its first byte: the origin is not part of the name.
    const name = p.itemName().toUpperCase().replace(/<\d+>$/, '');
    p.expect(' ');
    items.set(name, p.value());
    p.skipSpaces();
  }
  return { seq: Number(m[1]), items };
}

class Parser {
  private literal = 0;

  constructor(private readonly r: Response, private at: number) {}

  peek(): string {
    if (this.at >= this.r.text.length) this.fail('it ends too early');
    return this.r.text[this.at]!;
  }

  expect(c: string): void {
    if (this.peek() !== c) this.fail(`'${c}' expected`);
    this.at++;
  }

  skipSpaces(): void {
    while (this.r.text[this.at] === ' ') this.at++;
  }

  /** An atom such as `RFC822.SIZE`, or `BODY[HEADER.FIELDS (A B)]<0>`: brackets may hold spaces. */
  itemName(): string {
    const start = this.at;
    const text = this.r.text;
    let depth = 0;
    for (; this.at < text.length; this.at++) {
      const c = text[this.at];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (depth === 0 && (c === ' ' || c === ')' || c === '(')) break;
    }
    if (this.at === start) this.fail('an item name expected');
    return text.slice(start, this.at);
  }

  /** A value's atom (a number, NIL, a flag): unlike a name, a '[' in it opens nothing. */
  private atom(): string {
    const start = this.at;
    const text = this.r.text;
    while (this.at < text.length && !' ()'.includes(text[this.at]!)) this.at++;
    if (this.at === start) this.fail('a value expected');
    return text.slice(start, this.at);
  }

  value(): Value {
    const c = this.peek();
    if (c === '"') return this.quoted();
    if (c === '(') return this.list();
    if (c === '{' || (c === '~' && this.r.text[this.at + 1] === '{')) return this.literalValue();
    const atom = this.atom();
    if (/^\d+$/.test(atom)) return Number(atom);
    return atom.toUpperCase() === 'NIL' ? null : atom;
  }

  private quoted(): string {
    const text = this.r.text;
    // Mostly a date with nothing escaped: one slice, not a string grown by a character at a time.
    const end = text.indexOf('"', this.at + 1);
    const escape = text.indexOf('\\', this.at + 1);
    if (end > 0 && (escape < 0 || escape > end)) {
      const out = text.slice(this.at + 1, end);
      this.at = end + 1;
      return out;
    }
    let out = '';
    for (this.at++; this.at < text.length; this.at++) {
      const c = text[this.at];
      if (c === '"') {
        this.at++;
        return out;
      }
      if (c === '\\') this.at++;
      out += text[this.at] ?? '';
    }
    return this.fail('a quoted string does not end');
  }

  private list(): Value[] {
    const out: Value[] = [];
    this.at++;
    this.skipSpaces();
    while (this.peek() !== ')') {
      out.push(this.value());
      this.skipSpaces();
    }
    this.at++;
    return out;
  }

  private literalValue(): Buffer {
    const close = this.r.text.indexOf('}', this.at);
    const bytes = this.r.literals[this.literal++];
    if (close < 0 || bytes === undefined) return this.fail('a literal is missing');
    this.at = close + 1;
    return bytes;
  }

  private fail(why: string): never {
    const shown = this.r.text.length > 200 ? `${this.r.text.slice(0, 200)}…` : this.r.text;
    throw new Error(`could not read the server's FETCH response (${why}): ${shown}`);
  }
}
