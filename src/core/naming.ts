/**
 * File names of backed-up messages: `{segment1}__{segment2}__{segment3}.eml`, the layout of the
 * original tool (see shared spec), without its defects 3-5. Pure functions: the same headers give
 * the same name on every run, OS, time zone and locale.
 */
import { createHash } from 'node:crypto';
import libmime from 'libmime';

export interface MessageHeaders {
  messageId?: string | undefined; // raw header value (may be folded, may contain raw 8-bit bytes decoded as latin1 or utf8)
  subject?: string | undefined; // raw header value, still RFC 2047-encoded
  date?: string | undefined; // raw Date header value
  from?: string | undefined;
  to?: string | undefined;
  size: number; // RFC822.SIZE
  internalDate: Date; // server INTERNALDATE
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Raw 8-bit header bytes reach us either decoded as UTF-8 or as latin1, depending on the IMAP
 * library's path. A latin1 string whose bytes are valid UTF-8 is in practice always misread
 * UTF-8, so both readings are brought to the same text and thus to the same name and hash.
 */
function repair8bit(s: string): string {
  if (!/[\x80-\xff]/.test(s) || /[^\x00-\xff]/.test(s)) return s;
  try {
    return strictUtf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

/** RFC 5322 unfolding keeps the whitespace after a line break; only the break goes. */
const unfold = (v: string | undefined): string => repair8bit((v ?? '').replace(/[\r\n]+/g, '')).trim();

/**
 * A msg-id has no whitespace of its own, so a fold inside it (long ids get folded mid-token by
 * some MTAs) is removed together with the indentation. Ids that are blank or just `<>` identify
 * nothing and would make every such message collide, so they count as missing.
 */
function normalizeMessageId(raw: string | undefined): string | undefined {
  const id = repair8bit((raw ?? '').replace(/[\r\n]+[ \t]*/g, '')).trim();
  return id.replace(/[<>\s]/g, '') === '' ? undefined : id;
}

export function segment1(h: MessageHeaders): string {
  const id = normalizeMessageId(h.messageId);
  if (id !== undefined) return md5(id);
  // Only fields fetchable without the body, so the "already saved?" check stays cheap. The '\n'
  // separators cannot occur in an unfolded Message-ID, so a synthetic id never equals a real one.
  return md5(['synthetic:', unfold(h.date), unfold(h.from), unfold(h.to), unfold(h.subject), String(h.size)].join('\n'));
}

/**
 * The original's hash (Python `md5(msgid.split('@')[0][1:])`), only so files it wrote are
 * recognised. It makes `<1@a>` and `<1@b>` collide (defect 3); its Date/"None" fallbacks for
 * messages without an id are deliberately not reproduced, they collided even more.
 */
export function legacySegment1(messageId: string | undefined): string | undefined {
  const id = repair8bit((messageId ?? '').replace(/[\r\n]+[ \t]*/g, '')).trim();
  if (id === '') return undefined;
  return md5((id.split('@')[0] ?? '').slice(1));
}

/** The original's forbidden characters, plus what is invisible, spoofing or unencodable in a name. */
const REMOVED =
  /[\\"/;:<>{}`+,=~?*|\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udfff]/gu;

function decodeWords(raw: string): string {
  try {
    return libmime.decodeWords(raw);
  } catch {
    return raw; // a malformed header must never stop a backup; keep the text as sent
  }
}

/**
 * Order: decode → whitespace runs to one space → remove → truncate. Removing before truncating
 * (the original truncated first) keeps up to 20 *useful* characters and makes the 20-limit hold
 * on the final text; it costs no compatibility because only segment1 is used to find an existing
 * file. Whitespace is turned into spaces before the control-character removal so that TAB/CR/LF
 * still separate words instead of gluing them.
 */
export function subjectSegment(rawSubject: string | undefined): string {
  const text = decodeWords(repair8bit(rawSubject ?? '')).normalize('NFC');
  const kept = text
    .replace(/[^\S\ufeff]+/g, ' ')
    .replace(REMOVED, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  // Array.from iterates code points, so an emoji at position 20 is kept or dropped whole.
  const head = Array.from(kept).slice(0, 20).join('');
  // Windows drops trailing dots and spaces from names; strip them so what we write is what we get.
  return head.replace(/[. ]+$/, '').replace(/^ +/, '');
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function monthIndex(token: string): number {
  const t = token.toLowerCase();
  return t.length < 3 ? -1 : FULL_MONTHS.findIndex((m) => m.startsWith(t));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function format(y: number, mo: number, d: number, h: number, mi: number, s: number): string {
  return `${pad2(d)}-${MONTHS.slice(mo * 3, mo * 3 + 3)}-${String(y).padStart(4, '0')}-${pad2(h)}${pad2(mi)}${pad2(s)}`;
}

/** Returns undefined for an impossible date, so the caller falls back instead of writing garbage. */
function validated(y: number, mo: number, d: number, h: number, mi: number, s: number): string | undefined {
  if (![y, mo, d, h, mi, s].every(Number.isInteger) || y < 1000 || y > 9999 || mo < 0 || mo > 11) return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo] ?? 0;
  if (d < 1 || d > days || h > 23 || mi > 59 || s > 60) return undefined;
  return format(y, mo, d, h, mi, Math.min(s, 59)); // a leap second keeps the message's minute
}

/** RFC 5322 §4.3 obsolete years: 2 digits 00-49 → 20xx, 50-99 → 19xx; 3 digits → +1900. */
function fullYear(y: string): number {
  const n = Number(y);
  if (y.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  return y.length === 3 ? 1900 + n : n;
}

const WEEKDAY = String.raw`(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*,?\s*)?`;
const TIME = String.raw`(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2})(?:[.,]\d+)?)?`;
// The zone is read but ignored (wall-clock convention). At most two tokens, split by whitespace:
// an unbounded repetition of letter runs would backtrack exponentially on a hostile header.
const ZONE_TOKEN = String.raw`(?:[+-]\d{1,2}:?\d{2}|[a-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)`;
const ZONE = String.raw`(?:\s*${ZONE_TOKEN}(?:\s+${ZONE_TOKEN})?)?`;
const RFC_DATE = new RegExp(String.raw`^${WEEKDAY}(\d{1,2})[\s-]*([a-z]+)\.?[\s-]*(\d{2,4})\s+${TIME}${ZONE}$`, 'i');
const ASCTIME = new RegExp(String.raw`^${WEEKDAY}([a-z]+)\.?\s+(\d{1,2})\s+${TIME}(?:\s+${ZONE_TOKEN})?\s+(\d{4})$`, 'i');
const ISO_DATE = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:T|\s+)${TIME})?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$`, 'i');

function stripComments(s: string): string {
  let out = s;
  for (let prev = ''; prev !== out; ) {
    prev = out;
    out = out.replace(/\([^()]*\)/g, ' '); // innermost first, so nested comments go too
  }
  const open = out.indexOf('(');
  return open >= 0 ? out.slice(0, open) : out; // an unclosed comment runs to the end
}

function parseDate(raw: string): string | undefined {
  const s = stripComments(raw.slice(0, 256)).replace(/\s+/g, ' ').trim();
  const n = (v: string | undefined, dflt = Number.NaN): number => (v === undefined ? dflt : Number(v));
  let m = RFC_DATE.exec(s);
  if (m) return validated(fullYear(m[3] ?? ''), monthIndex(m[2] ?? ''), n(m[1]), n(m[4]), n(m[5]), n(m[6], 0));
  m = ASCTIME.exec(s);
  if (m) return validated(Number(m[6]), monthIndex(m[1] ?? ''), n(m[2]), n(m[3]), n(m[4]), n(m[5], 0));
  m = ISO_DATE.exec(s);
  if (m) return validated(Number(m[1]), n(m[2]) - 1, n(m[3]), n(m[4], 0), n(m[5], 0), n(m[6], 0));
  return undefined;
}

/**
 * The Date header's own wall-clock time, zone ignored (the original's convention, and what the
 * sender saw). Missing or unparseable: INTERNALDATE in UTC, never the machine's local zone.
 */
export function dateSegment(rawDate: string | undefined, internalDate: Date): string {
  const parsed = rawDate === undefined ? undefined : parseDate(repair8bit(rawDate));
  if (parsed !== undefined) return parsed;
  const t = internalDate.getTime();
  const d = new Date(Number.isFinite(t) ? t : 0);
  return format(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
}

export function emlFileName(h: MessageHeaders, seg = segment1(h)): string {
  // Joined rather than a template literal: V8 would keep the name as a tree of its pieces, some of
  // them slices of the whole header block, for as long as the name is kept (the plan, the index).
  return [seg, '__', subjectSegment(h.subject), '__', dateSegment(h.date, h.internalDate), '.eml'].join('');
}

/** Also matches the original's files (same 32-hex prefix), whatever the rest of the name holds. */
export function segment1Of(fileName: string): string | undefined {
  if (!isEmlName(fileName)) return undefined;
  const seg = fileName.slice(0, 32);
  return /[A-F]/.test(seg) ? seg.toLowerCase() : seg;
}

/**
 * `/^[0-9a-f]{32}__.*\.eml$/is`, by hand: a folder is read with this test on each of its names
 * (tens of thousands), and the regular expression's match arrays were a third of what a run with
 * 100 new messages allocated.
 */
export function isEmlName(name: string): boolean {
  const n = name.length;
  if (n < 38 || name.charCodeAt(32) !== 95 || name.charCodeAt(33) !== 95 || name.charCodeAt(n - 4) !== 46) return false;
  // `| 32` lowers an ASCII capital and leaves a lower-case letter as it is.
  if ((name.charCodeAt(n - 3) | 32) !== 101 || (name.charCodeAt(n - 2) | 32) !== 109 || (name.charCodeAt(n - 1) | 32) !== 108) return false;
  for (let i = 0; i < 32; i++) {
    const c = name.charCodeAt(i);
    const lower = c | 32;
    if (!((c >= 48 && c <= 57) || (lower >= 97 && lower <= 102))) return false;
  }
  return true;
}
