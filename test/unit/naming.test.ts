import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dateSegment,
  emlFileName,
  isEmlName,
  legacySegment1,
  segment1,
  segment1Of,
  subjectSegment,
  type MessageHeaders,
} from '../../src/core/naming.js';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
const README_MD5 = 'ec77f17c4c402d3a0a3877559cee51a6';
const INTERNAL = new Date(Date.UTC(2023, 0, 2, 3, 4, 5));
const INTERNAL_SEG = '02-Jan-2023-030405';
const headers = (over: Partial<MessageHeaders> = {}): MessageHeaders => ({ size: 1234, internalDate: INTERNAL, ...over });
const asLatin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const hasLoneSurrogate = (s: string): boolean => /[\ud800-\udfff]/u.test(s);

describe('subjectSegment', () => {
  it.each<[string, string | undefined, string]>([
    ['README example', 'Re: M3 Forecast', 'Re M3 Forecast'],
    ['UTF-8 B', '=?UTF-8?B?WmFtw7N3aWVuaWU=?=', 'Zamówienie'],
    ['UTF-8 Q, lower-case tokens', '=?utf-8?q?Zam=C3=B3wienie_nr_1?=', 'Zamówienie nr 1'],
    ['iso-8859-1 Q', '=?iso-8859-1?q?Gr=FC=DFe?=', 'Grüße'],
    ['iso-8859-1 B', '=?iso-8859-1?b?R3L832U=?=', 'Grüße'],
    ['iso-8859-2 Q', '=?ISO-8859-2?Q?Za=BF=F3=B3=E6?=', 'Zażółć'],
    ['koi8-r B', '=?koi8-r?B?8NLJ18XU?=', 'Привет'],
    ['shift_jis B', '=?shift_jis?B?k/qWe4zq?=', '日本語'],
    ['gb2312 B', '=?gb2312?B?1tDOxA==?=', '中文'],
    ['several words, mixed charsets, plain text between (defect 4)', 'Re: =?UTF-8?Q?Zam=C3=B3w?= nr =?ISO-8859-2?Q?=B3=F3d=BC?=', 'Re Zamów nr łódź'],
    ['adjacent words: whitespace between them is dropped', '=?UTF-8?Q?Dzie=C5=84?= =?UTF-8?Q?_dobry?=', 'Dzień dobry'],
    ['adjacent B words splitting one UTF-8 sequence, folded', '=?UTF-8?B?8J+Y?=\r\n =?UTF-8?B?gA==?= ok', '😀 ok'],
    ['invalid encoding letter left as text', '=?UTF-8?X?abc?= tail', 'UTF-8Xabc tail'],
    ['invalid QP escape does not throw', '=?UTF-8?Q?=ZZ?=', 'ZZ'],
    ['unknown charset decoded as UTF-8', '=?x-unknown?Q?abc?=', 'abc'],
    ['RFC 2231 language suffix', '=?utf-8*pl?Q?Cze=C5=9B=C4=87?=', 'Cześć'],
    ['raw 8-bit UTF-8 read as latin1', asLatin1('Zamówienie'), 'Zamówienie'],
    ['raw 8-bit UTF-8 read as UTF-8', 'Zamówienie', 'Zamówienie'],
    ['genuine latin1 is left alone', 'Gr\u00fc\u00dfe', 'Grüße'],
    ['decomposed input comes out NFC', 'Gru\u0308\u00dfe', 'Grüße'],
    ['emoji straddling position 20 stays whole', `abcdefghijklmnopqrs😀xyz`, 'abcdefghijklmnopqrs😀'],
    ['Windows-illegal characters', 'a<b>c:d"e/f\\g|h?i*j', 'abcdefghij'],
    ['all of the original\'s characters', 'x\\"/;:<>{}`+,=~?*|y', 'xy'],
    ['path traversal', '../../etc/passwd', '....etcpasswd'],
    ['device name is harmless inside a file name', 'CON', 'CON'],
    ['backslash and slash', 'a\\b/c', 'abc'],
    ['empty', '', ''],
    ['missing', undefined, ''],
    ['only illegal characters', '\\"/;:<>{}`+,=~?*|', ''],
    ['trailing dots', 'Hello...', 'Hello'],
    ['trailing dots and spaces', 'Wait . . .', 'Wait'],
    ['NUL and other C0/DEL/C1 controls', 'a\u0000b\u0007c\u007fd\u0085e', 'abcde'],
    ['folded CRLF and TAB become one space', 'line1\r\n\tline2', 'line1 line2'],
    ['bidi override (RTLO spoofing)', 'evil\u202egnp.exe', 'evilgnp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200eb\u200f', 'ab'],
    ['BOM', '\ufeffBOM', 'BOM'],
    ['lone surrogate', 'a\ud800b\udc00c', 'abc'],
    ['truncated at 20, trailing space stripped', 'This is a very long subject line', 'This is a very long'],
    ['removal happens before truncation', '::::::::::Hello World, how are you', 'Hello World how are'],
    ['removal does not leave double spaces', 'a : b', 'a b'],
    ['leading spaces', '   leading', 'leading'],
    ['encoded newline inside a word', '=?UTF-8?Q?a=0D=0Ab?=', 'a b'],
  ])('%s', (_name, raw, expected) => {
    expect(subjectSegment(raw)).toBe(expected);
  });

  it.each([
    ['25 emoji', '😀'.repeat(25)],
    ['500 emoji', '😀'.repeat(500)],
    ['500 mixed astral', '𝔘😀𝔫'.repeat(167)],
  ])('%s: 20 whole code points, no broken surrogates', (_name, raw) => {
    const seg = subjectSegment(raw);
    expect(Array.from(seg)).toHaveLength(20);
    expect(hasLoneSurrogate(seg)).toBe(false);
  });
});

describe('dateSegment', () => {
  it.each<[string, string | undefined, string]>([
    ['README example', 'Mon, 28 Mar 2022 18:35:17 +0200', '28-Mar-2022-183517'],
    ['1-digit day, wrong weekday', 'Mon, 5 Jan 2021 09:00:00 +0000', '05-Jan-2021-090000'],
    ['no weekday', '28 Mar 2022 18:35:17 +0200', '28-Mar-2022-183517'],
    ['(CEST) comment', 'Mon, 28 Mar 2022 18:35:17 +0200 (CEST)', '28-Mar-2022-183517'],
    ['(GMT+01:00) comment', 'Mon, 28 Mar 2022 18:35:17 +0100 (GMT+01:00)', '28-Mar-2022-183517'],
    ['GMT, zone ignored', 'Mon, 28 Mar 2022 16:35:17 GMT', '28-Mar-2022-163517'],
    ['UT', 'Mon, 28 Mar 2022 16:35:17 UT', '28-Mar-2022-163517'],
    ['UTC', 'Mon, 28 Mar 2022 16:35:17 UTC', '28-Mar-2022-163517'],
    ['EST', 'Mon, 28 Mar 2022 11:35:17 EST', '28-Mar-2022-113517'],
    ['CEST as zone', 'Mon, 28 Mar 2022 18:35:17 CEST', '28-Mar-2022-183517'],
    ['GMT+01:00 zone', 'Fri, 1 Jan 2021 00:00:00 GMT+01:00', '01-Jan-2021-000000'],
    ['negative zone', 'Mon, 28 Mar 2022 11:35:17 -0500', '28-Mar-2022-113517'],
    ['no zone', 'Mon, 28 Mar 2022 18:35:17', '28-Mar-2022-183517'],
    ['2-digit year 00-49', 'Mon, 28 Mar 22 18:35:17 +0200', '28-Mar-2022-183517'],
    ['2-digit year 50-99', 'Sun, 28 Mar 99 18:35:17 +0200', '28-Mar-1999-183517'],
    ['3-digit year', 'Mon, 28 Mar 122 18:35:17 +0200', '28-Mar-2022-183517'],
    ['missing seconds', 'Mon, 28 Mar 2022 18:35 +0200', '28-Mar-2022-183500'],
    ['full names, any case, no comma', 'monday 28 MARCH 2022 18:35:17 -0500', '28-Mar-2022-183517'],
    ['upper case, no space after comma', 'MON,28 MAR 2022 18:35:17 +0200', '28-Mar-2022-183517'],
    ['folded and extra whitespace', 'Mon,\r\n 28  Mar 2022\r\n\t18:35:17   +0200', '28-Mar-2022-183517'],
    ['leap second clamped', 'Fri, 31 Dec 2016 23:59:60 +0000', '31-Dec-2016-235959'],
    ['29 Feb in a leap year', 'Thu, 29 Feb 2024 12:00:00 +0000', '29-Feb-2024-120000'],
    ['ISO with T and Z', '2022-03-28T18:35:17Z', '28-Mar-2022-183517'],
    ['ISO with space', '2022-03-28 18:35:17', '28-Mar-2022-183517'],
    ['ISO with offset', '2022-03-28T18:35:17+02:00', '28-Mar-2022-183517'],
    ['asctime', 'Mon Mar 28 18:35:17 2022', '28-Mar-2022-183517'],
    ['29 Feb in a common year → INTERNALDATE', 'Wed, 29 Feb 2023 12:00:00 +0000', INTERNAL_SEG],
    ['31 Apr → INTERNALDATE', '31 Apr 2022 10:00:00 +0000', INTERNAL_SEG],
    ['hour 24 → INTERNALDATE', '28 Mar 2022 24:00:00 +0000', INTERNAL_SEG],
    ['minute 60 → INTERNALDATE', '28 Mar 2022 18:60:00 +0000', INTERNAL_SEG],
    ['unknown month → INTERNALDATE', '28 Foo 2022 18:35:17 +0000', INTERNAL_SEG],
    ['garbage → INTERNALDATE', 'garbage', INTERNAL_SEG],
    ['the original\'s placeholder → INTERNALDATE', '[no date]', INTERNAL_SEG],
    ['empty → INTERNALDATE', '', INTERNAL_SEG],
    ['missing → INTERNALDATE', undefined, INTERNAL_SEG],
  ])('%s', (_name, raw, expected) => {
    expect(dateSegment(raw, INTERNAL)).toBe(expected);
  });

  it.each([
    [Date.UTC(2022, 11, 31, 23, 30, 0), '31-Dec-2022-233000'],
    [Date.UTC(2022, 0, 1, 0, 0, 0), '01-Jan-2022-000000'],
    [Date.UTC(2021, 5, 5, 9, 7, 3), '05-Jun-2021-090703'],
  ])('fallback uses UTC fields, not the machine zone (%i)', (ms, expected) => {
    expect(dateSegment(undefined, new Date(ms))).toBe(expected);
  });

  it('an invalid INTERNALDATE still gives a well-formed segment', () => {
    expect(dateSegment(undefined, new Date(Number.NaN))).toBe('01-Jan-1970-000000');
  });

  it('a hostile Date header fails fast (no catastrophic backtracking)', () => {
    const start = Date.now();
    expect(dateSegment(`Mon, 28 Mar 2022 18:35:17 ${'A'.repeat(5000)}!`, INTERNAL)).toBe(INTERNAL_SEG);
    expect(Date.now() - start).toBeLessThan(500);
  });
});

describe('segment1', () => {
  it('hashes the whole Message-ID, so <1@a> and <1@b> differ (defect 3)', () => {
    expect(segment1(headers({ messageId: '<1@a>' }))).toBe(md5('<1@a>'));
    expect(segment1(headers({ messageId: '<1@a>' }))).not.toBe(segment1(headers({ messageId: '<1@b>' })));
  });

  it.each([
    ['folded before the id', '\r\n <1@a>'],
    ['folded inside the id', '<1\r\n\t@a>'],
    ['surrounding whitespace', '  <1@a>  '],
  ])('%s equals the unfolded id', (_name, raw) => {
    expect(segment1(headers({ messageId: raw }))).toBe(md5('<1@a>'));
  });

  it('a raw 8-bit id hashes the same whether read as latin1 or UTF-8', () => {
    expect(segment1(headers({ messageId: asLatin1('<zażółć@a>') }))).toBe(segment1(headers({ messageId: '<zażółć@a>' })));
  });

  it('missing id: synthetic id from body-less fields', () => {
    const h = headers({ date: ' Mon, 28 Mar 2022\r\n 18:35:17 +0200', from: 'a@x', to: 'b@y', subject: 'Hi' });
    expect(segment1(h)).toBe(md5('synthetic:\nMon, 28 Mar 2022 18:35:17 +0200\na@x\nb@y\nHi\n1234'));
    expect(segment1(h)).toBe(segment1({ ...h })); // stable across runs
    expect(segment1(headers())).toBe(md5('synthetic:\n\n\n\n\n1234'));
  });

  it.each<[string, Partial<MessageHeaders>]>([
    ['From', { from: 'c@x' }],
    ['To', { to: 'd@y' }],
    ['size', { size: 1235 }],
    ['Date', { date: 'Tue, 29 Mar 2022 18:35:17 +0200' }],
  ])('missing id: a different %s gives a different name', (_name, change) => {
    const base = headers({ date: 'Mon, 28 Mar 2022 18:35:17 +0200', from: 'a@x', to: 'b@y', subject: 'Hi' });
    expect(segment1({ ...base, ...change })).not.toBe(segment1(base));
  });

  it.each([['   '], ['<>'], ['\r\n ']])('blank id %j counts as missing', (raw) => {
    expect(segment1(headers({ messageId: raw }))).toBe(segment1(headers()));
  });
});

describe('legacySegment1 (the original\'s fragment hash)', () => {
  it.each<[string | undefined, string | undefined]>([
    ['<1@a>', md5('1')],
    ['<1@b>', md5('1')], // the original's collision, kept only to recognise its files
    ['  <abc.def@host>  ', md5('abc.def')],
    ['<no-at-sign>', md5('no-at-sign>')],
    [undefined, undefined],
    ['', undefined],
  ])('%j', (raw, expected) => {
    expect(legacySegment1(raw)).toBe(expected);
  });
});

describe('emlFileName and segment1Of', () => {
  it('the README example assembles from its segments', () => {
    const name = `${README_MD5}__${subjectSegment('Re: M3 Forecast')}__${dateSegment('Mon, 28 Mar 2022 18:35:17 +0200', INTERNAL)}.eml`;
    expect(name).toBe('ec77f17c4c402d3a0a3877559cee51a6__Re M3 Forecast__28-Mar-2022-183517.eml');
  });

  it('assembles segment1, subject and date', () => {
    const h = headers({ messageId: '<1@a>', subject: 'Re: M3 Forecast', date: 'Mon, 28 Mar 2022 18:35:17 +0200' });
    expect(emlFileName(h)).toBe(`${md5('<1@a>')}__Re M3 Forecast__28-Mar-2022-183517.eml`);
  });

  it('empty subject leaves an empty middle segment', () => {
    expect(emlFileName(headers({ messageId: '<1@a>' }))).toBe(`${md5('<1@a>')}____${INTERNAL_SEG}.eml`);
  });

  it.each(['../../etc/passwd', 'CON', '\u0000\u202e', '😀'.repeat(500), '=?UTF-8?B?X19fXw==?='])(
    'segment1Of(emlFileName) round-trips for subject %j',
    (subject) => {
      const h = headers({ messageId: '<1@a>', subject });
      expect(segment1Of(emlFileName(h))).toBe(segment1(h));
      expect(emlFileName(h)).not.toMatch(/[\\/:*?"<>|\u0000-\u001f]/);
    },
  );

  it.each<[string, string | undefined]>([
    ['ec77f17c4c402d3a0a3877559cee51a6__Re M3 Forecast__28-Mar-2022-183517.eml', README_MD5],
    ['EC77F17C4C402D3A0A3877559CEE51A6__x__y.EML', README_MD5],
    [`${README_MD5}____28-Mar-2022-183517.eml`, README_MD5],
    [`${README_MD5}__a__b__c.eml`, README_MD5],
    [`${README_MD5}__x.txt`, undefined],
    [`${README_MD5}.eml`, undefined],
    ['ec77f17c__x__y.eml', undefined],
    [`g${README_MD5.slice(1)}__x__y.eml`, undefined],
    [`x${README_MD5}__x__y.eml`, undefined],
    ['notes.txt', undefined],
    [`${README_MD5}__.eml`, README_MD5],
    [`${README_MD5}__.em`, undefined],
    [`${README_MD5}_.eml`, undefined],
    [`${README_MD5}__\nline\n.eMl`, README_MD5],
    [`${README_MD5}__x.eml\n`, undefined],
    [`${README_MD5.slice(0, 31)}G__x.eml`, undefined],
    [`${README_MD5.slice(0, 31)}\u0141__x.eml`, undefined],
    [`${README_MD5}__x\u212Aeml`, undefined],
    [`${README_MD5}__x.\u0117ml`, undefined],
  ])('segment1Of(%j)', (fileName, expected) => {
    expect(segment1Of(fileName)).toBe(expected);
  });

  it('isEmlName and segment1Of say what the regular expression they replace says, for any name', () => {
    const rule = /^([0-9a-f]{32})__.*\.eml$/is;
    // Characters either side of every boundary the hand-written test checks: digits, a-f/A-F and
    // their neighbours, '_', '.', the letters of "eml" in both cases and the code points one bit
    // (0x20) away from them, and non-ASCII ones whose case folds to ASCII (K, ſ).
    const alphabet = '09/:afAF`g@G_.emlEML\u0141\u212A\u017F\n x';
    let seed = 7;
    const random = (n: number) => {
      // mulberry32: the low bits of a plain linear congruential generator repeat too soon for this.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pick = () => alphabet[random(alphabet.length)] as string;
    let matched = 0;
    for (let i = 0; i < 20000; i++) {
      const hex = Array.from({ length: 32 }, () => '0123456789abcdefABCDEF'[random(22)]);
      if (random(3) === 0) hex[random(32)] = pick();
      const middle = Array.from({ length: random(4) }, pick).join('');
      const tail = random(4) === 0 ? Array.from({ length: 4 }, pick).join('') : (['.eml', '.EML', '.eMl', '.em', 'xeml'][random(5)] as string);
      const name = `${hex.join('')}${random(6) === 0 ? pick() + pick() : '__'}${middle}${tail}`.slice(0, random(10) === 0 ? random(45) : undefined);
      if (rule.test(name)) matched++;
      expect(isEmlName(name), name).toBe(rule.test(name));
      expect(segment1Of(name), name).toBe(rule.exec(name)?.[1]?.toLowerCase());
    }
    // Both answers, many times each.
    expect(matched).toBeGreaterThan(2000);
    expect(matched).toBeLessThan(18000);
  });
});
