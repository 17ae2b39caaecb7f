// One address in front of several control-plane replicas, as a Kubernetes Service puts one
// ClusterIP in front of a Deployment's pods: an L4 proxy that spreads connections round
// robin over the upstreams and pipes bytes both ways. A connection an upstream refuses is
// tried on the next one (a dead pod leaves the Service's endpoints; until then a client's
// retry lands elsewhere); when either side of a piped connection ends, so does the other, so
// a replica killed drops its clients' connections the way its own sockets would.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ProxiedConnection {
  /** The upstream it was piped to. */
  readonly upstream: string;
  readonly client: Socket;
  readonly server: Socket;
}

export class SpreadingProxy {
  readonly #upstreams: readonly string[];
  readonly #server: Server;
  readonly #open = new Set<ProxiedConnection>();
  #next = 0;
  /** Connections piped so far, by upstream. */
  readonly accepted = new Map<string, number>();

  private constructor(upstreams: readonly string[]) {
    this.#upstreams = upstreams;
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on a free port of 127.0.0.1 in front of `upstreams` (HOST:PORT each). */
  static async start(upstreams: readonly string[]): Promise<SpreadingProxy> {
    const proxy = new SpreadingProxy(upstreams);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Connections piped now, by upstream. */
  openConnections(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { upstream } of this.#open) counts.set(upstream, (counts.get(upstream) ?? 0) + 1);
    return counts;
  }

  #accept(client: Socket): void {
    client.pause();
    client.on('error', () => {});
    const first = this.#next++ % this.#upstreams.length;
    const attempt = (tried: number) => {
      if (client.destroyed) return;
      if (tried === this.#upstreams.length) return void client.destroy();
      const upstream = this.#upstreams[(first + tried) % this.#upstreams.length]!;
      const at = upstream.lastIndexOf(':');
      const server = connect({ host: upstream.slice(0, at), port: Number(upstream.slice(at + 1)) });
      server.once('error', () => attempt(tried + 1));
      server.once('connect', () => {
        server.removeAllListeners('error');
        server.on('error', () => {});
        if (client.destroyed) return void server.destroy();
        const piped: ProxiedConnection = { upstream, client, server };
        this.#open.add(piped);
        this.accepted.set(upstream, (this.accepted.get(upstream) ?? 0) + 1);
        const end = () => {
          this.#open.delete(piped);
          client.destroy();
          server.destroy();
        };
        client.once('close', end);
        server.once('close', end);
        client.pipe(server);
        server.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const { client, server } of this.#open) {
      client.destroy();
      server.destroy();
    }
    await closed;
  }
}
