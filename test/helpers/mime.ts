// Just enough MIME to check what the notification mail carries: headers, multipart nesting,
// base64 and quoted-printable bodies. Not a general parser.
import libmime from 'libmime';

export interface MimePart {
  headers: Map<string, string>;
  /** Lower-cased, without parameters. */
  type: string;
  params: Record<string, string>;
  /** Transfer-decoded bytes (empty for a multipart). */
  body: Buffer;
  parts: MimePart[];
}

export function parseMime(raw: Buffer | string): MimePart {
  const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : raw;
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const [type = 'text/plain', ...rest] = (headers.get('content-type') ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  const part: MimePart = { headers, type: type.trim().toLowerCase(), params, body: Buffer.alloc(0), parts: [] };
  if (part.type.startsWith('multipart/') && params.boundary) {
    const sections = body.split(`--${params.boundary}`);
    // First is the preamble, last the epilogue after the closing "--".
    for (const s of sections.slice(1, -1)) part.parts.push(parseMime(s.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return part;
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const bytes = Buffer.from(body, 'latin1');
  if (encoding === 'base64') part.body = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') part.body = decodeQp(body);
  else part.body = bytes;
  return part;
}

function decodeQp(text: string): Buffer {
  const unfolded = text.replace(/=\r\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < unfolded.length; i++) {
    const c = unfolded[i] as string;
    const hex = unfolded.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(c.charCodeAt(0));
  }
  return Buffer.from(out);
}

/** Every leaf part, depth first. */
export function leaves(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leaves);
}

export function decodedSubject(part: MimePart): string {
  return libmime.decodeWords(part.headers.get('subject') ?? '');
}

/** The file name of an attachment part (Content-Disposition or Content-Type name). */
export function fileName(part: MimePart): string | undefined {
  const disposition = part.headers.get('content-disposition') ?? '';
  const m = /filename="?([^";]+)"?/i.exec(disposition);
  return m?.[1] ?? part.params.name;
}
