/**
 * Header fields as fetched with BODY.PEEK[HEADER.FIELDS (...)]: raw bytes, possibly folded,
 * possibly 8-bit. Real mail has raw UTF-8 and raw Latin-1 in headers, so decode strictly as UTF-8
 * and fall back to Latin-1 (which never fails and keeps every byte distinguishable).
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeHeaderBytes(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}

/** First occurrence of each field, names lower-cased, values unfolded but otherwise untouched. */
export function parseHeaderFields(buf: Buffer | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!buf || buf.length === 0) return out;
  const text = decodeHeaderBytes(buf);
  let name: string | undefined;
  let value = '';
  const flush = () => {
    if (name !== undefined && !(name in out)) out[name] = value.trim();
    name = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      flush();
      continue;
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && name !== undefined) {
      value += line;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return out;
}

const MESSAGE_ID = ['message-id'] as const;

/** The Message-ID field of a whole raw message, read from its header block only. */
export function messageIdOf(raw: Buffer): string | undefined {
  return parseHeaderFields(headerFieldsOf(raw, MESSAGE_ID))['message-id'];
}

/**
 * What BODY.PEEK[HEADER.FIELDS (names)] returns, cut from a whole raw message: the named fields'
 * lines (with their folded continuations) in their order, bytes untouched, up to the first empty
 * line. A message read in one FETCH is then named exactly as one whose fields were fetched first.
 */
export function headerFieldsOf(raw: Buffer, names: readonly string[]): Buffer {
  const { wanted, lengths } = lookupFor(names);
  const kept: Buffer[] = [];
  let keep = false;
  for (let at = 0; at < raw.length; ) {
    const nl = raw.indexOf(0x0a, at);
    const next = nl < 0 ? raw.length : nl + 1;
    const first = raw[at];
    // An empty line (LF or CRLF) ends the header block.
    if (first === 0x0a || (first === 0x0d && raw[at + 1] === 0x0a)) break;
    if (first !== 0x20 && first !== 0x09) {
      // The colon is looked for on this line only: a search past it could read far into the body.
      let colon = at;
      while (colon < next && raw[colon] !== 0x3a) colon++;
      // A field's name ends at the colon, less the spaces and tabs before it (and nothing else).
      let end = colon;
      while (end > at && (raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
      keep = colon < next && colon > at && lengths.has(end - at) && wanted.has(raw.toString('latin1', at, end).toLowerCase());
    }
    if (keep) kept.push(raw.subarray(at, next));
    at = next;
  }
  return Buffer.concat(kept);
}

/** The names asked for, and their lengths: names of other lengths are passed over without a string made of them. */
interface Lookup {
  wanted: Set<string>;
  lengths: Set<number>;
}

// Callers pass constant lists, once per message: each list's sets are made once.
const lookups = new WeakMap<readonly string[], Lookup>();

function lookupFor(names: readonly string[]): Lookup {
  let l = lookups.get(names);
  if (l === undefined) {
    const wanted = new Set(names.map((n) => n.toLowerCase()));
    l = { wanted, lengths: new Set([...wanted].map((n) => n.length)) };
    lookups.set(names, l);
  }
  return l;
}
