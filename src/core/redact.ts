/** What a secret becomes in every line that leaves the process: console, log file, mail. */
export const MASK = '***';

/** Shorter secrets are too short to be told apart from text; below this they are never looked for. */
const MIN_SECRET = 3;

/**
 * Up to this length a secret is replaced only where it stands as a word of its own. A password
 * `mail` replaced everywhere turned every `mailbox` of the log into `***box`: the log was garbled
 * and, worse, showed anyone reading it which word the password was. Where a secret does leak (an
 * echoed command, a URL, a YAML line) it stands between quotes, spaces, `:` or `@`, so a short one
 * is still caught there. Longer secrets are replaced wherever they occur, as a word or not.
 */
const WHOLE_WORD_BELOW = 8;

const WORD = /[\p{L}\p{N}]/u;

/**
 * An escape that ends in a letter or digit: `\n` or `\u00e9` (JSON), `%20` (a URL), `=3D`
 * (quoted-printable), a terminal colour (`ESC[31m`). A secret right after one stands as a word all
 * the same (found in review: `"line\nmail"` kept the password mail whole, which the old rule
 * replaced). Every escape begins with a character that is no letter, so the edge after a secret
 * needs no such look.
 */
const ESCAPE_BEFORE = /(?:\\[A-Za-z0-9]|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|[%=][0-9A-Fa-f]{2}|\x1b\[[0-9;]*[A-Za-z])$/;
const LONGEST_ESCAPE = 16;
const escapeEndsAt = (before: string): boolean => ESCAPE_BEFORE.test(before);

/** The secrets to look for, longest first, so that a secret holding another is replaced whole. */
const longestFirst = (secrets: Iterable<string>): string[] => [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET).sort((a, b) => b.length - a.length);

/** Replaces every secret with ***, longest first. Pure. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of longestFirst(secrets)) {
    if (!out.includes(s)) continue;
    out = s.length < WHOLE_WORD_BELOW ? replaceWords(out, s) : out.split(s).join(MASK);
  }
  return out;
}

/**
 * Replaces `secret` where the characters around it do not continue it into a longer word: an edge
 * of the secret that is a letter or digit must not touch another letter or digit. A neighbour that
 * cannot be read as one (half of a surrogate pair) counts as a boundary: when unsure, redact.
 */
function replaceWords(text: string, secret: string): string {
  const guardBefore = WORD.test(secret.charAt(0));
  const guardAfter = WORD.test(secret.charAt(secret.length - 1));
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    if (at < from) continue;
    const end = at + secret.length;
    if (guardBefore && WORD.test(text.charAt(at - 1)) && !escapeEndsAt(text.slice(Math.max(0, at - LONGEST_ESCAPE), at))) continue;
    if (guardAfter && WORD.test(text.charAt(end))) continue;
    out += text.slice(from, at) + MASK;
    from = end;
  }
  return out + text.slice(from);
}

const isWordByte = (b: number | undefined): boolean =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));

/**
 * redactSecrets for UTF-8 bytes, so a log of any size is redacted without becoming one huge
 * string. The same rule, with one difference on the safe side: a byte outside ASCII next to a
 * short secret counts as a boundary (it may be a letter, but telling that needs decoding). Pure.
 */
export function redactBytes(buf: Buffer, secrets: Iterable<string>): Buffer {
  let out = buf;
  const mask = Buffer.from(MASK);
  for (const s of longestFirst(secrets)) {
    const needle = Buffer.from(s, 'utf8');
    const whole = s.length < WHOLE_WORD_BELOW;
    const guardBefore = whole && isWordByte(needle[0]);
    const guardAfter = whole && isWordByte(needle[needle.length - 1]);
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, Math.max(from, at + 1))) {
      const end = at + needle.length;
      const glued = guardBefore && isWordByte(out[at - 1]) && !escapeEndsAt(out.subarray(Math.max(0, at - LONGEST_ESCAPE), at).toString('latin1'));
      if (glued || (guardAfter && isWordByte(out[end]))) continue;
      parts.push(out.subarray(from, at), mask);
      from = end;
    }
    if (parts.length > 0) out = Buffer.concat([...parts, out.subarray(from)]);
  }
  return out;
}
