import { randomBytes } from 'node:crypto';

export interface MessageSpec {
  messageId?: string | null;
  subject?: string | null;
  date?: string | null;
  from?: string;
  to?: string;
  body?: string | Buffer;
  extraHeaders?: string[];
}

/** A raw RFC 5322 message with CRLF line ends; `null` leaves a header out entirely. */
export function makeMessage(spec: MessageSpec): Buffer {
  const headers: string[] = [];
  headers.push(`From: ${spec.from ?? 'Alice <alice@example.org>'}`);
  headers.push(`To: ${spec.to ?? 'Bob <bob@example.org>'}`);
  if (spec.subject !== null) headers.push(`Subject: ${spec.subject ?? 'Hello'}`);
  if (spec.date !== null) headers.push(`Date: ${spec.date ?? 'Mon, 28 Mar 2022 18:35:17 +0200'}`);
  if (spec.messageId !== null) headers.push(`Message-ID: ${spec.messageId ?? `<${randomBytes(8).toString('hex')}@example.org>`}`);
  headers.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', ...(spec.extraHeaders ?? []));
  const body = spec.body ?? 'Hello Bob,\r\nthis is a test.\r\n';
  return Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
}

/** A message of about `bytes` bytes: a base64 attachment of random data. */
export function makeLargeMessage(bytes: number, messageId: string): Buffer {
  const data = randomBytes(Math.floor((bytes * 3) / 4)).toString('base64').replace(/.{76}/g, '$&\r\n');
  const body = `--b1\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="big.bin"\r\n\r\n${data}\r\n--b1--\r\n`;
  const raw = makeMessage({ messageId, subject: 'Large attachment', body }).toString('utf8');
  return Buffer.from(raw.replace('Content-Type: text/plain; charset=utf-8', 'Content-Type: multipart/mixed; boundary="b1"'), 'utf8');
}
