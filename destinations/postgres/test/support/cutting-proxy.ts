import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a PostgreSQL server that cuts every connection when the
 * client sends bytes containing a marker: the server "goes away" at a chosen statement, the
 * same way every run, instead of at a moment a timer guesses.
 */
export class CuttingProxy {
  private marker: Buffer | undefined;
  /** Sends of the marker still to let through before the cut. */
  private passes = 0;
  private readonly sockets = new Set<Socket>();
  cuts = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: { host: string; port: number }): Promise<CuttingProxy> {
    let proxy: CuttingProxy | undefined;
    const server = createServer((client) => {
      const upstream = createConnection(target);
      proxy!.sockets.add(client).add(upstream);
      const forget = () => {
        proxy!.sockets.delete(client);
        proxy!.sockets.delete(upstream);
      };
      client.on('close', forget);
      client.on('error', () => client.destroy());
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('data', (data) => {
        if (proxy!.marker && data.includes(proxy!.marker) && proxy!.passes-- === 0) {
          proxy!.marker = undefined;
          proxy!.cuts++;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(data);
      });
      upstream.on('data', (data) => client.write(data));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CuttingProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /** Cut the connection the `nth` time from now the client sends `text` (once). */
  cutWhenClientSends(text: string, nth = 1): void {
    this.marker = Buffer.from(text);
    this.passes = nth - 1;
  }

  /** Cut every connection open now, as a server restarting does; new ones are let through. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.cuts++;
  }

  /** Connections open now (each a client's and its upstream's socket). */
  get open(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
