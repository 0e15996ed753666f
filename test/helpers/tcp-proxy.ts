import net from 'node:net';

export interface ProxyFaults {
  /** Cut the connection after this many bytes from the server (for the first `faultyConnections`). */
  dropAfterBytes?: number;
  /** Stop forwarding (stall) after this many bytes from the server, keeping the socket open. */
  stallAfterBytes?: number;
  /** How many connections suffer the fault; later ones pass through. Default 1. */
  faultyConnections?: number;
  /** Refuse every connection (server "down"). */
  refuseAll?: boolean;
}

export interface TcpProxy {
  port: number;
  connections: number;
  faults: ProxyFaults;
  /** Everything the clients sent, as it crossed the wire (ciphertext after a TLS upgrade); only with `record`. */
  fromClient(): Buffer;
  close(): Promise<void>;
}

/** A local listener that, when closed, also ends every connection it still has. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

export async function listenLocal(server: net.Server, sockets: Set<net.Socket>): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * A TCP relay between the tool and Dovecot: breaks connections on purpose (`faults`), and with
 * `record` keeps what the client sends, to show whether a password crossed in clear.
 */
export async function startProxy(targetPort: number, faults: ProxyFaults = {}, targetHost = '127.0.0.1', opts: { record?: boolean } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const recorded: Buffer[] = [];
  const proxy: TcpProxy = { port: 0, connections: 0, faults, fromClient: () => Buffer.concat(recorded), close: async () => undefined };
  const server = net.createServer((client) => {
    const index = ++proxy.connections;
    sockets.add(client);
    if (proxy.faults.refuseAll) {
      client.destroy();
      return;
    }
    const faulty = index <= (proxy.faults.faultyConnections ?? 1);
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    let fromServer = 0;
    let stalled = false;
    upstream.on('data', (chunk: Buffer) => {
      if (stalled) return;
      fromServer += chunk.length;
      if (faulty && proxy.faults.dropAfterBytes !== undefined && fromServer > proxy.faults.dropAfterBytes) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (faulty && proxy.faults.stallAfterBytes !== undefined && fromServer > proxy.faults.stallAfterBytes) {
        stalled = true;
        return;
      }
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (opts.record) recorded.push(chunk);
      if (!stalled) upstream.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  Object.assign(proxy, await listenLocal(server, sockets));
  return proxy;
}
