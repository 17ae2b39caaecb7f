// The admin HTTP server, on two listeners. The admin address (loopback by default) serves
// everything: the status page, the JSON views under /debug/, probes and metrics. The probe
// address serves only /healthz, /readyz and /metrics, for kubelet and Prometheus: the debug
// views show every client's configuration, so they stay off the pod network unless asked.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { RecentActivity } from './activity.ts';
import { clientsView, configView, modelView, routesView } from './debug-views.ts';
import type { Metrics } from './metrics.ts';
import type { OpsParts } from './parts.ts';

export interface AdminParts extends OpsParts {
  readonly metrics: Metrics;
  readonly activity: RecentActivity;
}

export type Listener = 'admin' | 'probe';

export interface AdminServerOptions {
  /** The status page served at `/`. */
  readonly pageFile: URL | string;
}

const defaultOptions: AdminServerOptions = { pageFile: new URL('./status-page.html', import.meta.url) };

/** Longer request targets get 414; Node answers 431 itself past its header limit (16 KiB). */
const maxUrlLength = 4_096;

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

type Route = (query: URLSearchParams) => Reply | Promise<Reply>;

const text = (status: number, body: string): Reply => ({ status, type: 'text/plain; charset=utf-8', body: body + '\n' });
const json = (status: number, value: unknown): Reply => ({ status, type: 'application/json', body: JSON.stringify(value, null, 2) + '\n' });
const jsonError = (status: number, error: string): Reply => json(status, { error });

const probePaths = ['/healthz', '/readyz', '/metrics'];
const adminPaths = ['/', '/debug/clients', '/debug/config?node=ID', '/debug/model', '/debug/routes', '/debug/activity', ...probePaths];

export class AdminServer {
  readonly #parts: AdminParts;
  readonly #options: AdminServerOptions;
  readonly #servers = new Set<Server>();
  readonly #routes: Record<Listener, ReadonlyMap<string, Route>>;
  #page?: Promise<string>;

  constructor(parts: AdminParts, options: Partial<AdminServerOptions> = {}) {
    this.#parts = parts;
    this.#options = { ...defaultOptions, ...options };
    const probe = new Map<string, Route>([
      ['/healthz', () => text(200, 'ok')],
      ['/readyz', () => (this.#parts.ready() ? text(200, 'ready') : text(503, 'initial sync not done'))],
      ['/metrics', async () => {
        const { contentType, text } = await this.#parts.metrics.exposition();
        return { status: 200, type: contentType, body: text };
      }],
    ]);
    const admin = new Map<string, Route>([
      ...probe,
      ['/', () => this.#statusPage()],
      ['/debug/clients', () => json(200, clientsView(this.#parts))],
      ['/debug/config', (query) => this.#config(query)],
      ['/debug/model', () => json(200, modelView(this.#parts))],
      ['/debug/routes', () => json(200, routesView(this.#parts))],
      ['/debug/activity', () => json(200, this.#parts.activity.toJSON())],
    ]);
    this.#routes = { admin, probe };
  }

  /** Binds one listener on `host:port` (port 0 picks one) and resolves with the bound port. */
  async listen(listener: Listener, host: string, port: number): Promise<number> {
    const server = createServer((request, response) => {
      this.#handle(listener, request, response).catch((error: unknown) => {
        log.warn({ listener, error: describeError(error) }, 'admin response failed');
        response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.error({ listener, error: describeError(error) }, 'admin HTTP server error'));
    this.#servers.add(server);
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Closes every listener and the connections they hold. */
  async stop(): Promise<void> {
    const servers = [...this.#servers];
    this.#servers.clear();
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }

  async #handle(listener: Listener, request: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.#route(listener, request);
    } catch (error) {
      log.warn({ listener, url: request.url?.slice(0, 200), error: describeError(error) }, 'admin request failed');
      reply = text(500, `internal error: ${describeError(error)}`);
    }
    if (response.destroyed) return;
    const headers: Record<string, string | number> = {
      'content-type': reply.type,
      'content-length': Buffer.byteLength(reply.body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    if (reply.status === 405) headers.allow = 'GET, HEAD';
    response.writeHead(reply.status, headers);
    // Node leaves the body out of a HEAD response itself.
    response.end(reply.body);
  }

  #route(listener: Listener, request: IncomingMessage): Reply | Promise<Reply> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, `method ${request.method} not allowed: only GET and HEAD are served`);
    const target = request.url ?? '';
    if (target.length > maxUrlLength) return text(414, `request target too long (${target.length} characters; at most ${maxUrlLength})`);
    if (!target.startsWith('/')) return text(400, 'the request target must be a path, such as /healthz');
    const at = target.indexOf('?');
    const path = at < 0 ? target : target.slice(0, at);
    const route = this.#routes[listener].get(path);
    if (route) return route(new URLSearchParams(at < 0 ? '' : target.slice(at + 1)));
    const shown = path.slice(0, 200);
    if (listener === 'probe') {
      return text(404, `not found here: ${shown}. This address serves only ${probePaths.join(', ')}; the status page and the /debug/ views are on the admin address (--admin-address, loopback by default; in a cluster, kubectl port-forward to it).`);
    }
    return text(404, `not found: ${shown}. Try ${adminPaths.join(', ')}.`);
  }

  #config(query: URLSearchParams): Reply {
    const unknown = [...new Set(query.keys())].filter((key) => key !== 'node');
    if (unknown.length > 0) return jsonError(400, `unknown query parameter ${unknown.map((key) => `"${key}"`).join(', ')}: /debug/config takes node=ID`);
    const nodes = query.getAll('node');
    if (nodes.length === 0 || nodes[0] === '') return jsonError(400, 'give the node id: /debug/config?node=ID (the ids are in /debug/clients)');
    if (nodes.length > 1) return jsonError(400, 'give node once: /debug/config shows one node at a time');
    const view = configView(this.#parts.ads.clients(), nodes[0]!);
    return view ? json(200, view) : jsonError(404, `no connected client has node id "${nodes[0]}" (the connected ones are in /debug/clients)`);
  }

  async #statusPage(): Promise<Reply> {
    const file = this.#options.pageFile;
    // Cached once read; a failed read is tried again on the next request.
    this.#page ??= readFile(file, 'utf8').catch((error: unknown) => {
      this.#page = undefined;
      throw error;
    });
    try {
      return { status: 200, type: 'text/html; charset=utf-8', body: await this.#page };
    } catch (error) {
      const path = file instanceof URL ? file.pathname : file;
      return text(500, `the status page ${path} could not be read (${describeError(error)}); the JSON views under /debug/ still answer`);
    }
  }
}
