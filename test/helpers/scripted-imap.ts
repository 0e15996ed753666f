import net from 'node:net';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { listenLocal, type Listening } from './tcp-proxy.js';

/**
 * The answers every scripted session needs (capabilities, login, a mailbox with INBOX alone,
 * logout); undefined for any other command, which the test scripts itself.
 */
export function sessionAnswer(tag: string, command: string): string | undefined {
  const cmd = command.toUpperCase();
  if (cmd.startsWith('CAPABILITY')) return `* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('LOGIN')) return `${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`;
  if (cmd.startsWith('LIST "" ""')) return `* LIST (\\Noselect) "/" ""\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('LIST')) return `* LIST () "/" INBOX\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('LOGOUT')) return `* BYE bye\r\n${tag} OK bye\r\n`;
  return undefined;
}

/**
 * A plain-text IMAP server on loopback that answers each command line as a test scripts it: for
 * what Dovecot never does (items split over responses, a reply that comes apart from its body).
 * `answer` gets the tag, the command as sent (after the tag) and the socket to write to.
 */
export async function startScriptedImap(answer: (tag: string, command: string, socket: net.Socket) => void): Promise<{ server: Listening; mb: MailboxConfig }> {
  const sockets = new Set<net.Socket>();
  const server = await listenLocal(net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const tag = line.split(' ')[0] ?? '';
        answer(tag, line.slice(tag.length + 1), socket);
      }
    });
  }), sockets);
  const mb: MailboxConfig = {
    address: 'x@example.org', login: 'x@example.org', password: 'pw', host: '127.0.0.1', port: server.port, tls: 'none', allowInsecure: true,
    tlsOptions: { rejectUnauthorized: true }, folders: { kind: 'all' }, excludeFolders: [],
  };
  return { server, mb };
}
