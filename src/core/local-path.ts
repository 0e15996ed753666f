/**
 * IMAP folder names and mailbox addresses → local relative path segments that are legal, and the
 * same, on Windows and Linux. The escape is injective (`%` itself is escaped, every rule only
 * ever produces `%XX`), so two different IMAP folders never share a local folder; ordinary names
 * (`INBOX`, `Sent Items`, `[Gmail]`, `office@contoso.com`) stay as they are, so process folders
 * written by the original tool are found again.
 */
import { createHash } from 'node:crypto';

/** Illegal on Windows or Linux, `%` (the escape character), controls incl. C1, lone surrogates. */
const ESCAPED_CHAR = /[<>:"/\\|?*%\u0000-\u001f\u007f-\u009f]|[\ud800-\udfff]/u;

/**
 * Windows device names, also with an extension (`aux.txt`) and with spaces before it (Win32
 * trims those). Superscript ¹²³ count as digits there (COM¹ opens a port).
 */
const RESERVED = /^(?:con|prn|aux|nul|(?:com|lpt)[0-9\u00b9\u00b2\u00b3]) *(?:\.|$)/i;

const MAX_UNITS = 120;
// Linux allows 255 *bytes* per name: 120 UTF-16 units of CJK would be 360 bytes, so bytes are
// bounded too. Both limits leave room for the `~hash` suffix.
const MAX_BYTES = 200;
const KEEP_UNITS = 100;
const KEEP_BYTES = 180;

/** `%XX` per UTF-8 byte. Lone surrogates get their 3-byte WTF-8 form: distinct ones stay distinct. */
function pct(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const bytes =
    cp >= 0xd800 && cp <= 0xdfff
      ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
      : [...Buffer.from(ch, 'utf8')];
  return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * Too long: a prefix cut at a whole character or whole `%XX` (the pieces), plus a hash of the
 * full escaped segment so two long names with the same start stay apart.
 */
function shorten(pieces: string[]): string {
  const full = pieces.join('');
  if (full.length <= MAX_UNITS && Buffer.byteLength(full, 'utf8') <= MAX_BYTES) return full;
  let prefix = '';
  let bytes = 0;
  for (const p of pieces) {
    const b = Buffer.byteLength(p, 'utf8');
    if (prefix.length + p.length > KEEP_UNITS || bytes + b > KEEP_BYTES) break;
    prefix += p;
    bytes += b;
  }
  return `${prefix}~${createHash('sha1').update(full, 'utf8').digest('hex').slice(0, 8)}`;
}

export function safeSegment(name: string): string {
  // NFC: the same folder name sent composed or decomposed is one folder (and macOS-safe later).
  const chars = Array.from(name.normalize('NFC'));
  // A lone '%' never results from a non-empty name ('%' is always followed by two hex digits).
  if (chars.length === 0) return '%';
  const whole = chars.join('');
  if (whole === '.' || whole === '..') return chars.map(pct).join('');
  const pieces = chars.map((c) => (ESCAPED_CHAR.test(c) ? pct(c) : c));
  if (RESERVED.test(whole)) pieces[0] = pct(chars[0] ?? '');
  const last = chars.length - 1;
  // Windows silently drops a trailing dot or space, which would merge `a.` into `a`.
  if (/^[. ]$/.test(chars[last] ?? '')) pieces[last] = pct(chars[last] ?? '');
  return shorten(pieces);
}

/**
 * Nested like the IMAP hierarchy (as the original's os.path.join did for `[Gmail]/Sent Mail`).
 * Empty parts (`a//b`, a trailing delimiter) are kept as `%` so `a//b` and `a/b` stay apart.
 */
export function localFolderPath(imapPath: string, delimiter: string | null | undefined): string[] {
  const parts = delimiter ? imapPath.split(delimiter) : [imapPath];
  return parts.map(safeSegment);
}

/**
 * The same segment with every letter (and every non-ASCII character) written as `%XX`: a name no
 * server folder is escaped to (safeSegment never escapes a letter), that differs from its case
 * variants in digits rather than in case, and that unescapeSegment reads back as the server's
 * name. Undefined when that would exceed the length limits (the caller then falls back).
 */
export function spelledOut(segment: string): string | undefined {
  // The empty name part: it has no letter to differ in.
  if (segment === '%') return segment;
  const pieces = segment.match(/%[0-9A-F]{2}|[\s\S]/gu) ?? [];
  const out = pieces.map((p) => (p.length === 3 && p.startsWith('%') ? p : /[0-9 !#$&'()+,.;=@[\]^_`{}~-]/.test(p) ? p : pct(p))).join('');
  return out.length <= MAX_UNITS && Buffer.byteLength(out, 'utf8') <= MAX_BYTES ? out : undefined;
}

