// A real SMTP server on loopback (smtp-server in the test process) with a certificate made here:
// smtp-server's built-in certificate has expired, so STARTTLS would fail with it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export type SmtpTls = 'implicit' | 'starttls' | 'none';

export interface SmtpOptions {
  /** implicit: TLS from the first byte (465-style); starttls: offered (587-style); none: no STARTTLS at all. */
  tls: SmtpTls;
  /** Accepted logins; when given, AUTH is required. */
  users?: Record<string, string>;
}

export interface ReceivedMail {
  raw: Buffer;
  from: string;
  to: string[];
  /** Whether the session was encrypted when the message arrived. */
  secure: boolean;
  user?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** PEM of the self-signed certificate, to trust with tlsCaFile. */
  certPem: string;
  messages: ReceivedMail[];
  /** Every AUTH attempt, with whether it came over TLS. */
  logins: { user: string; secure: boolean; ok: boolean }[];
  /** Connections seen (including ones that never got to send anything). */
  connections: number;
  stop(): Promise<void>;
}

let cached: { key: string; cert: string } | undefined;

/** One key and certificate for 127.0.0.1 / localhost per test process. */
export function testCertificate(): { key: string; cert: string } {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-smtp-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '7',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    cached = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts on a free port (the OS picks it, so parallel test files cannot collide). */
export async function startSmtp(opts: SmtpOptions): Promise<SmtpSink> {
  const { key, cert } = testCertificate();
  const users = opts.users;
  const sink: SmtpSink = { host: '127.0.0.1', port: 0, certPem: cert, messages: [], logins: [], connections: 0, stop: async () => undefined };
  const server = new SMTPServer({
    secure: opts.tls === 'implicit',
    key,
    cert,
    logger: false,
    // A server without STARTTLS, which will take a login and a message in plaintext: what
    // requireTLS must refuse to talk to (as a downgrading man in the middle would look).
    disabledCommands: opts.tls === 'none' ? ['STARTTLS'] : [],
    allowInsecureAuth: opts.tls === 'none',
    authOptional: !users,
    onConnect(_session, callback) {
      sink.connections++;
      callback();
    },
    onAuth(auth, session, callback) {
      const ok = !!users && auth.username !== undefined && users[auth.username] === auth.password;
      sink.logins.push({ user: auth.username ?? '', secure: session.secure, ok });
      if (!ok) return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        sink.messages.push({
          raw: Buffer.concat(chunks),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  sink.port = (server.server.address() as AddressInfo).port;
  sink.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

/** The mailNotification lines of configuration.yml for this sink (indented for writeWorkspace). */
export function notificationYaml(sink: SmtpSink, caFile: string, extra: string[] = []): string[] {
  return [
    '  send_notification: True',
    `  server: '${sink.host}'`,
    `  port: ${sink.port}`,
    "  from: 'alerts@contoso.com'",
    "  to: 'admin@contoso.com, second-admin@contoso.com'",
    "  subject: 'Notification form MailboxBackupTool'",
    "  message: 'The mailbox copy has been triggered. The log is attached. Do not reply.'",
    `  tlsCaFile: '${caFile}'`,
    ...extra.map((l) => `  ${l}`),
  ];
}
