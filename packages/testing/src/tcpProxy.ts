import net from 'node:net';
import { testAdminUrl, testAmqpUrl } from './testServices';

/**
 * A TCP proxy in front of a server (the broker, Postgres) that a test can cut —
 * every connection dropped and new ones refused — and restore on the same port.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  port = 0;

  constructor(private readonly target: URL) {}

  /** A proxy to the test broker. */
  static toBroker(): TcpProxy {
    return new TcpProxy(new URL(testAmqpUrl()));
  }

  /** A proxy to the test Postgres server. */
  static toDatabase(): TcpProxy {
    return new TcpProxy(testAdminUrl());
  }

  /** Starts listening (first on a free port, later on the same one). */
  async start(): Promise<void> {
    const port = Number(this.target.port || (this.target.protocol.startsWith('amqp') ? 5672 : 5432));
    this.server = net.createServer((client) => {
      const upstream = net.connect(port, this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          (socket === client ? upstream : client).destroy(); // one side gone: the other goes too
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  /** The server "goes down": connections drop and new ones are refused. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** `url` (same credentials and path) pointed at this proxy. */
  via(url: URL | string): URL {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied;
  }

  /** The test broker's URL through this proxy. */
  get url(): string {
    return this.via(testAmqpUrl()).href;
  }
}
