import { describe, expect, it } from 'vitest';
import { parseFetch } from '../../src/io/fetch-items.js';
import { bodyOf, metaOfFetch } from '../../src/io/fetched.js';

const body = Buffer.from('Subject: x\r\n\r\nhi\r\n');
const r = (text: string, literals: Buffer[] = []) => ({ text, literals });

describe('parseFetch', () => {
  it.each([
    ['items in the order asked', `* 3 FETCH (UID 9 RFC822.SIZE 17 INTERNALDATE "27-Nov-2026 14:35:00 +0000" BODY[] {17})`, {
      UID: 9, 'RFC822.SIZE': 17, INTERNALDATE: '27-Nov-2026 14:35:00 +0000', 'BODY[]': body,
    }],
    ['items in another order, lower case, extra spaces', `* 3 fetch (body[] {17}  uid 9 FLAGS (\\Seen $Label1))`, {
      'BODY[]': body, UID: 9, FLAGS: ['\\Seen', '$Label1'],
    }],
    ['a section with spaces in its brackets', `* 1 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID DATE)] {17} UID 4)`, {
      'BODY[HEADER.FIELDS (MESSAGE-ID DATE)]': body, UID: 4,
    }],
    ['a body as a quoted string with escapes', `* 1 FETCH (UID 2 BODY[] "a \\"b\\" c\\\\")`, { UID: 2, 'BODY[]': 'a "b" c\\' }],
    ['quoted strings with an escape only after them, and an empty one', `* 1 FETCH (INTERNALDATE "01-Feb-2024 10:00:00 +0000" X-A "" FLAGS (\\Seen) X-B "c\\"d")`, {
      INTERNALDATE: '01-Feb-2024 10:00:00 +0000', 'X-A': '', FLAGS: ['\\Seen'], 'X-B': 'c"d',
    }],
    ['a NIL body', `* 1 FETCH (UID 2 BODY[] NIL)`, { UID: 2, 'BODY[]': null }],
    ['a flag change on its own', `* 5 FETCH (FLAGS ())`, { FLAGS: [] }],
    ['a literal8', `* 1 FETCH (UID 2 BINARY[] ~{17})`, { UID: 2, 'BINARY[]': body }],
    ['a body with its origin', `* 1 FETCH (UID 2 BODY[]<0> {17})`, { UID: 2, 'BODY[]': body }],
    ['a keyword with a bracket in it', `* 1 FETCH (FLAGS ($a[b \\Seen) UID 2)`, { FLAGS: ['$a[b', '\\Seen'], UID: 2 }],
  ])('%s', (_, text, items) => {
    const f = parseFetch(r(text, text.includes('{17}') ? [body] : []));
    expect(f?.items).toEqual(new Map(Object.entries(items)));
  });

  it.each([
    ['* 3 EXISTS'],
    ['X1 OK FETCH completed'],
    ['* OK [UIDNEXT 5]'],
  ])('is undefined for %s', (text) => {
    expect(parseFetch(r(text))).toBeUndefined();
  });

  it.each([
    ['cut short', '* 1 FETCH (UID 2 BODY[] '],
    ['an unended quoted string', '* 1 FETCH (UID 2 BODY[] "abc)'],
    ['a literal that never came', '* 1 FETCH (UID 2 BODY[] {17})'],
    ['an unended list', '* 1 FETCH (FLAGS (\\Seen'],
  ])('throws on a FETCH %s rather than skip a message', (_, text) => {
    expect(() => parseFetch(r(text))).toThrow(/could not read the server's FETCH response/);
  });
});

describe('bodyOf', () => {
  const f = (items: Record<string, unknown>) => ({ seq: 1, items: new Map(Object.entries(items)) as never });

  it('gives what imapflow gave: bytes, size, date', () => {
    expect(bodyOf(f({ UID: 9, 'RFC822.SIZE': 17, INTERNALDATE: ' 7-Nov-2026 04:05:06 +0100', 'BODY[]': body }))).toEqual({
      uid: 9, source: body, size: 17, internalDate: new Date('2026-11-07T03:05:06Z'),
    });
  });

  it('falls back as imapflow did when size and date are missing or odd', () => {
    expect(bodyOf(f({ UID: 9, INTERNALDATE: 'not a date', 'BODY[]': body }))).toEqual({ uid: 9, source: body, size: 0, internalDate: new Date(0) });
  });

  it('takes a quoted body byte for byte', () => {
    expect(bodyOf(f({ UID: 9, 'BODY[]': 'caf\u00e9' }))?.source).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  });

  it('skips a response without a body, and a NIL body', () => {
    expect(bodyOf(f({ FLAGS: ['\\Seen'] }))).toBeUndefined();
    expect(bodyOf(f({ UID: 3, 'BODY[]': null }))).toBeUndefined();
  });

  it('refuses a body without its UID: it could not be told which message it is', () => {
    expect(() => bodyOf(f({ 'BODY[]': body }))).toThrow(/without its UID/);
  });
});

describe('metaOfFetch', () => {
  const f = (items: Record<string, unknown>) => ({ seq: 1, items: new Map(Object.entries(items)) as never });
  const hdr = Buffer.from('Subject: Hi\r\nMessage-ID: <a@b>\r\n\r\n');

  it.each([
    ['as asked', 'BODY[HEADER.FIELDS (MESSAGE-ID DATE SUBJECT FROM TO)]'],
    ['in another spelling', 'BODY[HEADER.FIELDS ("Message-ID" "Subject")]'],
    ['as the whole header', 'BODY[HEADER]'],
  ])('takes the header fields %s', (_, key) => {
    expect(metaOfFetch(f({ UID: 4, 'RFC822.SIZE': 10, [key]: hdr }))).toMatchObject({ uid: 4, size: 10, subject: 'Hi', messageId: '<a@b>' });
  });

  it('takes a size and a date sent as strings or literals, as imapflow did', () => {
    const meta = metaOfFetch(f({ UID: 4, 'RFC822.SIZE': '123', INTERNALDATE: Buffer.from('01-Feb-2024 10:00:00 +0000'), 'BODY[HEADER]': hdr }));
    expect(meta.size).toBe(123);
    expect(meta.internalDate).toEqual(new Date('2024-02-01T10:00:00Z'));
  });

  it('names a message whose header fields never came by the fallbacks, as imapflow did', () => {
    expect(metaOfFetch(f({ UID: 4, 'RFC822.SIZE': 'x' }))).toEqual({
      uid: 4, size: 0, internalDate: new Date(0), messageId: undefined, subject: undefined, date: undefined, from: undefined, to: undefined,
    });
  });
});
