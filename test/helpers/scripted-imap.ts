import net from 'node:net';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { listenLocal, type Listening } from './tcp-proxy.js';

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
