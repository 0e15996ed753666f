/**
 * The way back from a backup's names to what the server had: local folder segments → IMAP folder
 * names (the inverse of local-path.ts), and the INTERNALDATE a restored message gets.
 */
import { dateSegment } from './naming.js';

const utf8 = new TextDecoder('utf-8');

/**
 * Inverse of safeSegment: `%XX` are UTF-8 bytes, everything else is itself; a lone `%` was an
 * empty name part. A name shortened with `~hash` cannot be undone: it comes back shortened.
 */
export function unescapeSegment(segment: string): string {
  if (segment === '%') return '';
  if (!segment.includes('%')) return segment;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; ) {
    const hex = segment[i] === '%' ? /^[0-9A-Fa-f]{2}$/.exec(segment.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(segment.codePointAt(i) ?? 0);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return utf8.decode(Uint8Array.from(bytes));
}

/** The IMAP folder name a local folder path was written from, joined with the server's delimiter. */
export function imapNameOf(local: string[], delimiter: string): string {
  return local.map(unescapeSegment).join(delimiter);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SEGMENT3 = /^(\d{2})-([A-Z][a-z]{2})-(\d{4})-(\d{2})(\d{2})(\d{2})$/;

/** `DD-Mon-YYYY-HHMMSS` read as UTC wall-clock milliseconds; undefined when it is not one. */
export function segment3Ms(segment: string): number | undefined {
  const m = SEGMENT3.exec(segment);
  const month = MONTHS.indexOf(m?.[2] ?? '');
  if (!m || month < 0) return undefined;
  const ms = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** The date part of a backup file name (`…__28-Mar-2022-183517.eml`, also with a `__2` suffix). */
export function segment3OfName(fileName: string): string | undefined {
  return /__(\d{2}-[A-Z][a-z]{2}-\d{4}-\d{6})(?:__\d+)?\.eml$/i.exec(fileName)?.[1];
}

const NAMED_ZONES: Record<string, number> = { UT: 0, UTC: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };

/** The zone of a Date header in minutes east of UTC; unknown zones count as UTC (RFC 5322 `-0000`). */
export function zoneOffsetMinutes(rawDate: string): number {
  const text = rawDate.replace(/\([^()]*\)/g, ' ').trim();
  const numeric = [...text.matchAll(/(?:^|[\s\d])([+-])(\d{2}):?(\d{2})(?=\s|$)/g)].pop();
  if (numeric) return (numeric[1] === '-' ? -1 : 1) * (Number(numeric[2]) * 60 + Number(numeric[3]));
  const named = /([A-Za-z]{1,3})\s*$/.exec(text)?.[1]?.toUpperCase();
  return named !== undefined ? (NAMED_ZONES[named] ?? 0) : 0;
}

/**
 * INTERNALDATE for a restored message. The Date header when the backup could read it (its name
 * then came from it); otherwise the name's date, which the backup took from the server's
 * INTERNALDATE in UTC, so a second backup names the restored message the same; else the file time.
 */
export function restoreDate(rawDate: string | undefined, fileName: string, fileTime: Date): Date {
  if (rawDate !== undefined) {
    // dateSegment falls back to the date given when it cannot parse the header: two different
    // fallbacks giving the same answer means the header itself was read.
    const a = dateSegment(rawDate, new Date(0));
    if (a === dateSegment(rawDate, new Date(86_400_000))) {
      const wall = segment3Ms(a);
      if (wall !== undefined) return new Date(wall - zoneOffsetMinutes(rawDate) * 60_000);
    }
  }
  const fromName = segment3Ms(segment3OfName(fileName) ?? '');
  return fromName !== undefined ? new Date(fromName) : fileTime;
}
