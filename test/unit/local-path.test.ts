import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localFolderPath, safeSegment } from '../../src/core/local-path.js';

const sha8 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex').slice(0, 8);

/** What both Windows and Linux accept as one path component. */
function isPortableName(seg: string): boolean {
  return (
    seg.length > 0 &&
    seg.length <= 120 &&
    Buffer.byteLength(seg, 'utf8') <= 255 &&
    !/[<>:"/\\|?*\u0000-\u001f]/.test(seg) &&
    !/[\ud800-\udfff]/u.test(seg) &&
    !/[. ]$/.test(seg) &&
    seg !== '.' &&
    seg !== '..' &&
    !/^(con|prn|aux|nul|(com|lpt)[0-9¹²³]) *(\.|$)/i.test(seg)
  );
}

describe('safeSegment', () => {
  it.each<[string, string]>([
    ['INBOX', 'INBOX'],
    ['SENT', 'SENT'],
    ['Sent Items', 'Sent Items'],
    ['[Gmail]', '[Gmail]'],
    ['office@contoso.com', 'office@contoso.com'],
    ['.hidden', '.hidden'],
    ['a..b', 'a..b'],
    ['CONSOLE', 'CONSOLE'],
    ['Grüße', 'Grüße'],
    ['Wysłane', 'Wysłane'],
    ['日本語', '日本語'],
    ['Gru\u0308ße', 'Grüße'], // NFD → NFC
    ['a/b', 'a%2Fb'],
    ['a\\b', 'a%5Cb'],
    ['a:b*c?d"e<f>g|h', 'a%3Ab%2Ac%3Fd%22e%3Cf%3Eg%7Ch'],
    ['100%', '100%25'],
    ['%2F', '%252F'],
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '..%2E'],
    ['Archive.', 'Archive%2E'],
    ['Archive ', 'Archive%20'],
    [' ', '%20'],
    ['', '%'],
    ['tab\there', 'tab%09here'],
    ['a\u0000b', 'a%00b'],
    ['a\u007fb\u0085c', 'a%7Fb%C2%85c'],
    ['a\ud800b', 'a%ED%A0%80b'],
    ['CON', '%43ON'],
    ['con', '%63on'],
    ['Nul', '%4Eul'],
    ['aux.txt', '%61ux.txt'],
    ['AUX.txt', '%41UX.txt'],
    ['PRN.tar.gz', '%50RN.tar.gz'],
    ['COM1', '%43OM1'],
    ['com0', '%63om0'],
    ['LPT9.log', '%4CPT9.log'],
    ['COM¹', '%43OM¹'],
    ['lpt³.x', '%6Cpt³.x'],
    ['CON .txt', '%43ON .txt'],
    ['CON.', '%43ON%2E'],
  ])('%j → %j', (name, expected) => {
    expect(safeSegment(name)).toBe(expected);
  });

  it('120 UTF-16 units are kept, 121 are shortened', () => {
    expect(safeSegment('x'.repeat(120))).toBe('x'.repeat(120));
    expect(safeSegment('x'.repeat(121))).toBe(`${'x'.repeat(100)}~${sha8('x'.repeat(121))}`);
  });

  it('300 chars → first 100 + ~ + 8 hex of sha1', () => {
    expect(safeSegment('x'.repeat(300))).toBe(`${'x'.repeat(100)}~${sha8('x'.repeat(300))}`);
  });

  it('long CJK is bounded in bytes too (ext4 allows 255 bytes)', () => {
    const seg = safeSegment('日'.repeat(100));
    expect(seg).toBe(`${'日'.repeat(60)}~${sha8('日'.repeat(100))}`);
    expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(255);
  });

  it('shortening never cuts a %XX escape or a surrogate pair', () => {
    expect(safeSegment(':'.repeat(50))).toMatch(/^(%3A){33}~[0-9a-f]{8}$/);
    const emoji = safeSegment('😀'.repeat(80));
    expect(emoji).toMatch(/^(😀){45}~[0-9a-f]{8}$/u);
  });
});

describe('localFolderPath', () => {
  it.each<[string, string | null | undefined, string[]]>([
    ['INBOX', '/', ['INBOX']],
    ['[Gmail]/Sent Mail', '/', ['[Gmail]', 'Sent Mail']],
    ['INBOX.Sent.2022', '.', ['INBOX', 'Sent', '2022']],
    ['INBOX/a.b', '.', ['INBOX%2Fa', 'b']],
    ['INBOX\\Sub', '\\', ['INBOX', 'Sub']],
    ['../../etc', '/', ['%2E%2E', '%2E%2E', 'etc']],
    ['a.b', null, ['a.b']],
    ['x/y', undefined, ['x%2Fy']],
    ['x/y', '', ['x%2Fy']],
    ['a//b', '/', ['a', '%', 'b']],
    ['Archive./CON', '/', ['Archive%2E', '%43ON']],
    ['Poczta/Wysłane', '/', ['Poczta', 'Wysłane']],
  ])('%j with delimiter %j', (path, delimiter, expected) => {
    expect(localFolderPath(path, delimiter)).toEqual(expected);
  });

  it('a trailing delimiter keeps an empty part, so it differs from the parent', () => {
    expect(localFolderPath('INBOX/', '/')).toEqual(['INBOX', '%']);
  });
});

describe('hostile names', () => {
  const hostile = [
    '', '.', '..', '...', ' ', '  ', '%', '%25', '%2E', '%2E%2E', '%20', '%43ON',
    'a', 'a.', 'a ', 'a%2E', 'a%20', 'A', 'CON', 'con', 'CON.', 'CON.txt', 'CON%2Etxt',
    'a/b', 'a%2Fb', 'a\\b', 'a%5Cb', 'a:b', 'a%3Ab', 'a?b', 'a*b', 'a|b', 'a<b', 'a>b', 'a"b',
    'a\u0000', 'a\u0001', 'a\u001f', 'a\u007f', '\ud800', '\udc00', '\ufffd', '%ED%A0%80',
    'x'.repeat(120), 'x'.repeat(121), 'x'.repeat(300), 'x'.repeat(301),
    '日'.repeat(100), '日'.repeat(101), 'COM¹', 'COM1', 'com1', 'LPT1.', 'nul ', 'nul',
  ];

  it('map to pairwise distinct segments', () => {
    const out = hostile.map(safeSegment);
    expect(new Set(out).size).toBe(hostile.length);
  });

  it.each(hostile.map((h) => [h]))('%j maps to a portable name', (name) => {
    expect(isPortableName(safeSegment(name))).toBe(true);
  });
});
