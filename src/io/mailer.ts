import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { createTransport, type SMTPTransportOptions } from 'nodemailer';
import type { NotificationConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import { redactHtml, type LogInfo, type MailContent } from '../core/notification.js';
import { redactBytes, redactSecrets } from '../core/redact.js';
import { formatBytes } from '../core/summary.js';

/** A log above this is gzipped (text logs shrink about tenfold). */
export const GZIP_OVER_BYTES = 5 * 1024 * 1024;
/** Postfix accepts 10 MB by default and base64 adds a third: a bigger attachment would sink the whole mail. */
export const MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024;

export interface PreparedLog {
  info: LogInfo;
  attachment?: { filename: string; content: Buffer; contentType: string };
}

/** The advice why a mail could not be sent; never contains a configured secret. */
export class SmtpError extends Error {
  override name = 'SmtpError';
}

export interface SendResult {
  accepted: string[];
  rejected: string[];
  response: string;
}

/** Reads the log as it is now (every line is written synchronously), redacted, gzipped when large. */
export async function prepareLog(filePath: string | undefined, secrets: readonly string[]): Promise<PreparedLog> {
  if (!filePath) return { info: {} };
  let raw: Buffer;
  try {
    raw = await fs.readFile(filePath);
  } catch (err) {
    return { info: { path: filePath, notAttached: `it could not be read (${describeError(err)})` } };
  }
  // The Logger already redacts every line; this guards against a line that slipped past it.
  const content = redactBytes(raw, secrets);
  const name = path.basename(filePath);
  const zipped = content.length > GZIP_OVER_BYTES;
  const body = zipped ? await promisify(gzip)(content) : content;
  if (body.length > MAX_ATTACHMENT_BYTES) {
    return { info: { path: filePath, notAttached: `it is ${formatBytes(body.length)}${zipped ? ' even gzipped' : ''}, more than mail servers accept` } };
  }
  const filename = zipped ? `${name}.gz` : name;
  return {
    info: { path: filePath, attachment: { filename, bytes: body.length, gzipped: zipped, originalBytes: content.length } },
    attachment: { filename, content: body, contentType: zipped ? 'application/gzip' : 'text/plain; charset=utf-8' },
  };
}

/**
 * implicit → TLS from the first byte; starttls → `requireTLS`, so a server (or a man in the middle)
 * that offers no STARTTLS gets nothing rather than a plaintext mail; none → nodemailer's default:
 * STARTTLS when offered, else plaintext (the original's useTLS: False; documented as insecure).
 */
export function transportOptions(c: NotificationConfig): SMTPTransportOptions {
  return {
    host: c.server,
    port: c.port,
    secure: c.tls === 'implicit',
    requireTLS: c.tls === 'starttls',
    auth: c.user ? { user: c.user, pass: c.password } : undefined,
    tls: { rejectUnauthorized: c.tlsOptions.rejectUnauthorized, ...(c.tlsOptions.ca ? { ca: c.tlsOptions.ca } : {}) },
    // A run that already crashed should not hang two minutes on an unreachable relay.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
  };
}

export function describeSmtp(c: NotificationConfig): string {
  const mode = c.tls === 'implicit' ? 'TLS' : c.tls === 'starttls' ? 'STARTTLS' : 'no TLS required';
  return `${c.server}:${c.port} (${mode})`;
}

export async function sendNotification(c: NotificationConfig, content: MailContent, log: PreparedLog, secrets: readonly string[]): Promise<SendResult> {
  const all = [...secrets, c.password];
  const clean = (s: string) => redactSecrets(s, all);
  const transport = createTransport(transportOptions(c));
  try {
    const info = await transport.sendMail({
      from: c.from,
      to: c.to,
      subject: clean(content.subject),
      text: clean(content.text),
      html: redactHtml(content.html, all),
      attachments: log.attachment ? [log.attachment] : [],
      // RFC 3834: vacation auto-replies must not answer a machine's report.
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    const list = (v: unknown) => (Array.isArray(v) ? v.map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address))) : []);
    return { accepted: list(info.accepted), rejected: list(info.rejected), response: clean(String(info.response ?? '')) };
  } catch (err) {
    throw new SmtpError(clean(smtpAdvice(c, err)));
  } finally {
    transport.close();
  }
}

/** Connects, upgrades to TLS and logs in, as a send would; for `check`. */
export async function verifySmtp(c: NotificationConfig, secrets: readonly string[] = []): Promise<void> {
  const transport = createTransport(transportOptions(c));
  try {
    await transport.verify();
  } catch (err) {
    throw new SmtpError(redactSecrets(smtpAdvice(c, err), [...secrets, c.password]));
  } finally {
    transport.close();
  }
}

/** A nodemailer error rephrased as what the admin should check. */
export function smtpAdvice(c: NotificationConfig, err: unknown): string {
  const e = (err ?? {}) as { code?: string; originalCode?: string; response?: string; command?: string };
  const where = `the SMTP server ${describeSmtp(c)}`;
  const text = describeError(err);
  const said = e.response ? ` It said: ${e.response.trim()}.` : '';
  const codes = [e.code, e.originalCode];
  if (codes.includes('ECONNREFUSED')) return `Nothing answers at ${where}: check mailNotification.server and port, and that the firewall lets this machine reach it.`;
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN') || codes.includes('EDNS')) return `The host name ${c.server} cannot be resolved: check mailNotification.server.`;
  if (/certificate|self[- ]signed|CERT_|unable to verify|altnames/i.test(text)) {
    return `The TLS certificate of ${where} is not trusted (${text}): give its CA with mailNotification.tlsCaFile, or set tlsRejectUnauthorized: False if you accept the risk.`;
  }
  if (c.tls === 'implicit' && /wrong version number|packet length|unknown protocol/i.test(text)) {
    return `${cap(where)} does not speak TLS from the start (${text}): that is port 465's way; for port 587 or 25 leave out tls: 'implicit' so STARTTLS is used.`;
  }
  if (e.command === 'STARTTLS' || (e.code === 'ETLS' && /STARTTLS/i.test(text))) {
    return `${cap(where)} does not offer STARTTLS, so the report${c.user ? ' and the SMTP password' : ''} would have travelled in plaintext; nothing was sent.${said} Use the server's TLS port (465, or 587 with STARTTLS), or set useTLS: False if you accept plaintext.`;
  }
  if (e.code === 'ETIMEDOUT' || e.code === 'ECONNECTION' || e.code === 'ESOCKET') {
    const hint = c.tls !== 'implicit' ? ` If this port expects TLS from the start (like 465), set tls: 'implicit' in mailNotification.` : '';
    return `${cap(where)} did not complete the connection (${text}): check mailNotification.server, port and the firewall.${hint}`;
  }
  if (e.code === 'EAUTH') {
    if (/Missing credentials/i.test(text)) return `${cap(where)} needs a password for "${c.user}": set mailNotification.password (or passwordFile).`;
    return `Login as "${c.user}" refused by ${where}.${said} Check mailNotification.user and password (some providers require an app password).`;
  }
  if (e.code === 'ENOAUTH' || /\b530\b/.test(e.response ?? '')) return `${cap(where)} requires a login.${said} Set mailNotification.user and password.`;
  if (e.code === 'EENVELOPE') return `${cap(where)} refused the sender or a recipient.${said} Check mailNotification.from (servers often allow only the login's own address) and to.`;
  if (e.code === 'EMESSAGE') return `${cap(where)} refused the message.${said} If it is too large, the server's size limit is below this report with its log.`;
  return `Sending through ${where} failed: ${text}.`;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
