import net from 'node:net';
import { listenLocal, startProxy } from './tcp-proxy.js';

export interface Wiretap {
  port: number;
  /** Everything the client sent, as it crossed the wire (ciphertext after a TLS upgrade). */
  fromClient(): Buffer;
  close(): Promise<void>;
}

/** A TCP relay that records what the client sends: shows whether a password crossed in clear. */
export function startWiretap(targetPort: number, targetHost: string): Promise<Wiretap> {
  return startProxy(targetPort, {}, targetHost, { record: true });
}

/** An IMAP server that offers no STARTTLS and takes any login: what a downgrading man in the middle looks like. */
export async function startPlainImap(opts: { refusal?: string } = {}): Promise<Wiretap> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const caps = 'IMAP4rev1 AUTH=PLAIN';
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.write(`* OK [CAPABILITY ${caps}] ready\r\n`);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, command] = line.split(' ');
        if (command?.toUpperCase() === 'CAPABILITY') socket.write(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
        else if (command?.toUpperCase() === 'LOGOUT') socket.end(`* BYE\r\n${tag} OK bye\r\n`);
        else if (tag) socket.write(`${tag} NO ${opts.refusal ?? 'not here'}\r\n`);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  return { ...(await listenLocal(server, sockets)), fromClient: () => Buffer.concat(chunks) };
}
