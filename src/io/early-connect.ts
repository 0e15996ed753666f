import tls from 'node:tls';
import type { ImapTransport, ImapTransportConnectOptions, ImapTransportSocket } from 'imapflow';
import type { MailboxConfig } from '../core/config-types.js';

/**
 * The TCP and TLS handshakes of a run's first connections, started as soon as the configuration
 * is read. The server works on them while the run loads its IMAP code, opens its log, takes its
 * lock and reads its marks: ~20 ms of a run with 100 new messages (~0.25 s in all). Only implicit
 * TLS: a STARTTLS session begins in clear text on imapflow's own terms. Not for OAuth2 mailboxes:
 * their token request comes first and takes longer than the handshake, and a socket left waiting
 * for it would only risk the server's limit on connections that have not logged in.
 *
 * An early socket is unref'd until it is taken, so it never holds a finished process open, and a
 * run that stops before it connects (a held lock, a crash) loses nothing but the handshake. The
 * server's certificate is checked exactly as imapflow would (same options, same `tls.connect`); a
 * failure is kept and thrown when the connection is taken, so it is reported where it always was,
 * as that attempt's. One the server closed without a word, or reset after the handshake, before
 * it is taken is dropped, and imapflow connects on its own: handed over, it would never hear of
 * the close and would wait out its greeting timeout (16 s) to report GREETING_TIMEOUT instead, or
 * fail the attempt with the reset.
 */
interface Early {
  socket: tls.TLSSocket;
  secure: boolean;
  error?: Error;
}

const opened = new Map<MailboxConfig, Early>();

/** Starts the handshakes of these mailboxes' first connections (one each). */
export function connectEarly(mailboxes: MailboxConfig[]): void {
  for (const mb of mailboxes) {
    if (mb.tls !== 'implicit' || mb.oauth2 || opened.has(mb)) continue;
    try {
      const socket = tls.connect(connectOptions(mb));
      const early: Early = { socket, secure: false };
      socket.once('secureConnect', () => (early.secure = true));
      // Kept, not thrown: the run reports it when it takes the connection, as imapflow would.
      socket.on('error', (err) => (early.error ??= err));
      socket.unref();
      opened.set(mb, early);
    } catch {
      // Options tls.connect refuses up front are imapflow's to report; it gets no early socket.
    }
  }
}

/**
 * The transport for a mailbox's next connection: its early socket the first time, unless the
 * server closed it; else undefined (imapflow connects on its own). Each is handed out once.
 */
export function takeEarly(mb: MailboxConfig): ImapTransport | undefined {
  const early = opened.get(mb);
  if (!early) return undefined;
  opened.delete(mb);
  const { socket } = early;
  // A server that closed it after saying something (a BYE) is seen by imapflow once it reads that.
  // One reset after the handshake (a limit on connections that have not logged in) would fail the
  // attempt, where a connection of imapflow's own may well succeed; a handshake's error is kept.
  const closed = socket.destroyed || socket.readableEnded || socket.writableEnded;
  if (closed && (early.secure || !early.error)) {
    socket.destroy();
    return undefined;
  }
  return {
    connect(_options: ImapTransportConnectOptions, onConnect: () => void): ImapTransportSocket {
      if (early.error) {
        socket.destroy();
        throw early.error;
      }
      socket.removeAllListeners('error');
      socket.ref();
      // imapflow stores the socket when this returns; onConnect before that is ignored.
      if (early.secure) setImmediate(onConnect);
      else socket.once('secureConnect', onConnect);
      return socket as unknown as ImapTransportSocket;
    },
  };
}

/** Closes the early sockets nobody took (a mailbox skipped, a run stopped before it connected). */
export function closeEarly(): void {
  for (const early of opened.values()) early.socket.destroy();
  opened.clear();
}

/** What imapflow passes to tls.connect for this mailbox (ImapSource.open sets the same options). */
function connectOptions(mb: MailboxConfig): tls.ConnectionOptions {
  const name = servername(mb);
  return { host: mb.host, port: mb.port, ...(name ? { servername: name } : {}), ...tlsOptions(mb) };
}

/** The name sent for SNI: none for an IP address, where TLS allows none. */
export function servername(mb: MailboxConfig): string | undefined {
  return isIp(mb.host) ? undefined : mb.host;
}

/** imapflow's `tls` option for this mailbox. */
export function tlsOptions(mb: MailboxConfig): tls.ConnectionOptions {
  return { rejectUnauthorized: mb.tlsOptions.rejectUnauthorized, ...(mb.tlsOptions.ca ? { ca: mb.tlsOptions.ca } : {}) };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
