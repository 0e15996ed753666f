import { headerFieldsOf, parseHeaderFields } from '../core/headers.js';
import type { MessageHeaders } from '../core/naming.js';
import type { FetchResponse, Value } from './fetch-items.js';

/** What a run names a message by, from a header FETCH or from the message's own bytes. */
export interface MessageMeta extends MessageHeaders {
  uid: number;
}

export interface Body {
  uid: number;
  source: Buffer;
  size: number;
  internalDate: Date;
}

export const HEADER_FIELDS = ['message-id', 'date', 'subject', 'from', 'to'];

/** What a header FETCH gives for a message, from the message itself: the same fields, so the same name. */
export function metaOfBody(body: Body): MessageMeta {
  return metaOf(body.uid, body.size, body.internalDate, headerFieldsOf(body.source, HEADER_FIELDS));
}

export function metaOf(uid: number, size: number, internalDate: Date, fields: Buffer | undefined): MessageMeta {
  const h = parseHeaderFields(fields);
  return { uid, size, internalDate, messageId: h['message-id'], subject: h['subject'], date: h['date'], from: h['from'], to: h['to'] };
}

/**
 * A message from a FETCH response, as imapflow would have given it; undefined for a response that
 * carries no body (a flag change the server reports on its own) or whose body is NIL.
 */
export function bodyOf(f: FetchResponse): Body | undefined {
  const raw = f.items.get('BODY[]');
  if (raw === undefined || raw === null) return undefined;
  const source = bytesOf(raw, f.seq);
  return { uid: uidOf(f), source, size: sizeOf(f), internalDate: dateOf(f) };
}

/** The header fields a FETCH response carries, as imapflow's header FETCH gave them (none if none came). */
export function metaOfFetch(f: FetchResponse): MessageMeta {
  const key = headerKey(f.items);
  const raw = key === undefined ? undefined : f.items.get(key);
  return metaOf(uidOf(f), sizeOf(f), dateOf(f), raw === null || raw === undefined ? undefined : bytesOf(raw, f.seq));
}

/** `BODY[HEADER.FIELDS (…)]` however the server wrote it: any `BODY[HEADER…]`, as imapflow took it. */
export function headerKey(items: FetchResponse['items']): string | undefined {
  for (const k of items.keys()) if (k.startsWith('BODY[HEADER')) return k;
  return undefined;
}

export function toDate(value: Date | string | undefined): Date {
  const d = value instanceof Date ? value : new Date(value ?? 0);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

function uidOf(f: FetchResponse): number {
  const uid = f.items.get('UID');
  if (typeof uid !== 'number') throw new Error(`the server sent message ${f.seq} without its UID`);
  return uid;
}

/** A number, or one sent as a string, as imapflow read it; 0 otherwise. */
function sizeOf(f: FetchResponse): number {
  const size = f.items.get('RFC822.SIZE');
  const n = typeof size === 'number' ? size : Number(textOf(size ?? null));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function dateOf(f: FetchResponse): Date {
  return toDate(textOf(f.items.get('INTERNALDATE') ?? null));
}

function textOf(v: Value): string | undefined {
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : undefined;
}

/** A literal, or a quoted string (a short one-line message), whose latin1 gives back its bytes. */
function bytesOf(v: Value, seq: number): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  throw new Error(`the server sent message ${seq} with data that is not a string`);
}
