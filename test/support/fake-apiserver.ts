// An in-process Kubernetes API server for Services and EndpointSlices, speaking the real
// list/watch protocol (resourceVersion, chunked JSON lines, BOOKMARK, ERROR 410 Gone) so
// tests drive the real Kubernetes source against it, plus the faults real API servers have.
// GRPCRoutes, HTTPRoutes and Gateways (gateway.networking.k8s.io/v1) are served once
// installRouteCrds() is called, 404 before, as without their CRDs; their /status subresource
// takes merge patches (with a resourceVersion precondition), each recorded in statusWrites.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type ServerOptions as TlsOptions } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { stringify } from 'yaml';
import { directAccess, type ApiAccess } from '../../k8s/api-access.ts';
import { parseSelector, type LabelSelector } from '../../k8s/selector.ts';

export type Resource = 'services' | 'endpointslices' | 'grpcroutes' | 'httproutes' | 'gateways';

type Json = Record<string, unknown>;
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

const types: Record<Resource, { kind: string; apiVersion: string }> = {
  services: { kind: 'Service', apiVersion: 'v1' },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
  grpcroutes: { kind: 'GRPCRoute', apiVersion: 'gateway.networking.k8s.io/v1' },
  httproutes: { kind: 'HTTPRoute', apiVersion: 'gateway.networking.k8s.io/v1' },
  gateways: { kind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1' },
};

/** The Gateway API kinds: served only once their CRDs are "installed". */
const routeResources: readonly Resource[] = ['grpcroutes', 'httproutes', 'gateways'];

const routes: readonly [RegExp, Resource][] = [
  [/^\/api\/v1(?:\/namespaces\/([^/]+))?\/services$/, 'services'],
  [/^\/apis\/discovery\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/endpointslices$/, 'endpointslices'],
  [/^\/apis\/gateway\.networking\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/grpcroutes$/, 'grpcroutes'],
  [/^\/apis\/gateway\.networking\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/httproutes$/, 'httproutes'],
  [/^\/apis\/gateway\.networking\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/gateways$/, 'gateways'],
];

const statusPath = /^\/apis\/gateway\.networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/(grpcroutes|httproutes|gateways)\/([^/]+)\/status$/;

/** One merge patch of a Route's status, as received, and how it was answered. */
export interface StatusWrite {
  readonly resource: Resource;
  readonly namespace: string;
  readonly name: string;
  /** The patch body. */
  readonly patch: Json;
  /** 200, or 409 when its resourceVersion was not current, 404 when there is no such Route. */
  readonly status: number;
}

interface Change {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: EventType;
  readonly object: Json;
  /** The stored object before this change (MODIFIED, DELETED). */
  readonly previous?: Json;
}

interface Watcher {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly selector: LabelSelector;
  readonly response: ServerResponse;
}

export interface RequestRecord {
  readonly resource: Resource;
  readonly verb: 'list' | 'watch' | 'patch';
  /** A list's page size, and the token of a page after the first. */
  readonly limit?: number;
  readonly continue?: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly resourceVersion?: string;
  /** The Authorization header it carried. */
  readonly authorization?: string;
}

export class FakeApiServer {
  readonly #server: Server;
  readonly #scheme: 'http' | 'https';
  readonly #objects: Record<Resource, Map<string, Json>> = { services: new Map(), endpointslices: new Map(), grpcroutes: new Map(), httproutes: new Map(), gateways: new Map() };
  #routeCrds = false;
  #statusConflicts = 0;
  /** Every status patch of a Route, oldest first. */
  readonly statusWrites: StatusWrite[] = [];
  #history: Change[] = [];
  #rv = 100;
  /** Watches from a resourceVersion older than this get 410 Gone. */
  #compactedRv = 0;
  readonly #watchers = new Set<Watcher>();
  readonly #sockets = new Set<Socket>();
  #failures = { remaining: 0, status: 503 };
  /** The rest of a paged list, by its continue token. */
  readonly #pagedLists = new Map<string, { readonly resourceVersion: string; readonly items: Json[] }>();
  #stalling = false;
  #port = 0;
  /** Every list and watch request, oldest first. */
  readonly requests: RequestRecord[] = [];
  /** The paths of Route requests answered 404 because the Route CRDs are not installed, oldest first. */
  readonly notFound: string[] = [];

  private constructor(tls?: TlsOptions) {
    const handle = (request: IncomingMessage, response: ServerResponse) => this.#handle(request, response);
    this.#server = tls ? createTlsServer(tls, handle) : createServer(handle);
    this.#scheme = tls ? 'https' : 'http';
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** With `tls` (at least a key and certificate), it speaks HTTPS. */
  static async start(tls?: TlsOptions): Promise<FakeApiServer> {
    const fake = new FakeApiServer(tls);
    await fake.#listen();
    return fake;
  }

  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.#port}`;
  }

  /** Access to this server without credentials (plain HTTP). */
  access(): ApiAccess {
    return directAccess({ server: this.url });
  }

  async writeKubeconfig(path: string): Promise<void> {
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    };
    await writeFile(path, stringify(config));
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Creates or replaces an object (namespace defaults to "default"); returns the stored copy. */
  apply(resource: Resource, object: Json): Json {
    const metadata = { ...(object.metadata as Json) };
    metadata.namespace ??= 'default';
    const key = `${metadata.namespace}/${metadata.name}`;
    const previous = this.#objects[resource].get(key);
    const previousMeta = previous?.metadata as Json | undefined;
    const rv = ++this.#rv;
    const stored: Json = {
      ...structuredClone(object),
      metadata: {
        ...metadata,
        uid: previousMeta?.uid ?? randomUUID(),
        creationTimestamp: previousMeta?.creationTimestamp ?? metadata.creationTimestamp ?? new Date().toISOString(),
        resourceVersion: String(rv),
      },
    };
    if (routeResources.includes(resource)) {
      // As for a CRD with a status subresource: the generation counts spec changes, and an
      // update keeps the status (a test may seed one when it creates the Route).
      const specChanged = previous === undefined || JSON.stringify(previous.spec) !== JSON.stringify(object.spec);
      (stored.metadata as Json).generation = previous === undefined ? 1 : Number(previousMeta?.generation ?? 1) + (specChanged ? 1 : 0);
      if (previous !== undefined) {
        if (previous.status === undefined) delete stored.status;
        else stored.status = previous.status;
      }
    }
    this.#objects[resource].set(key, stored);
    this.#publish({ rv, resource, type: previous ? 'MODIFIED' : 'ADDED', object: stored, ...(previous ? { previous } : {}) });
    return stored;
  }

  /**
   * apply() for each object in turn, each its own change and resourceVersion, with every open
   * watch's events written together (corked): a burst as fast as an API server streams one.
   */
  applyAll(resource: Resource, objects: readonly Json[]): Json[] {
    const responses = [...this.#watchers].map((watcher) => watcher.response);
    for (const response of responses) response.cork();
    try {
      return objects.map((object) => this.apply(resource, object));
    } finally {
      for (const response of responses) response.uncork();
    }
  }

  delete(resource: Resource, namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const previous = this.#objects[resource].get(key);
    if (previous === undefined) throw new Error(`no ${resource} ${key} to delete`);
    this.#objects[resource].delete(key);
    const rv = ++this.#rv;
    const object = { ...previous, metadata: { ...(previous.metadata as Json), resourceVersion: String(rv) } };
    this.#publish({ rv, resource, type: 'DELETED', object, previous });
  }

  /** Serves GRPCRoutes and HTTPRoutes from now on, as once their CRDs are installed. */
  installRouteCrds(): void {
    this.#routeCrds = true;
  }

  /** Answers 404 for the Route kinds again (their stored objects are forgotten) and ends their watches. */
  uninstallRouteCrds(): void {
    this.#routeCrds = false;
    for (const resource of routeResources) this.#objects[resource].clear();
    for (const watcher of this.#watchers) if (routeResources.includes(watcher.resource)) watcher.response.end();
  }

  /** Answers the next `count` status patches with 409 Conflict, as if another writer had just won. */
  conflictStatusWrites(count: number): void {
    this.#statusConflicts = count;
  }

  /** The stored object, if any. */
  get(resource: Resource, namespace: string, name: string): Json | undefined {
    return this.#objects[resource].get(`${namespace}/${name}`);
  }

  openWatches(resource?: Resource): number {
    return [...this.#watchers].filter((watcher) => resource === undefined || watcher.resource === resource).length;
  }

  // ---- faults ----

  /** Ends every watch response cleanly, as an API server does when a watch times out. */
  closeWatches(): void {
    for (const watcher of this.#watchers) watcher.response.end();
  }

  /** Destroys every connection (a reset: in-flight lists and watches fail). */
  resetConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Answers the next `count` requests (all of them by default) with `status`. */
  failRequests(count = Infinity, status = 503): void {
    this.#failures = { remaining: count, status };
  }

  stopFailing(): void {
    this.#failures = { remaining: 0, status: 503 };
  }

  /** Accepts new requests and never answers them, like an overloaded or partitioned server. */
  stallRequests(): void {
    this.#stalling = true;
  }

  stopStalling(): void {
    this.#stalling = false;
  }

  /** Forgets history: a later watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history = [];
    this.#pagedLists.clear();
  }

  /** Compacts and tells every open watch it is too old (ERROR 410), then ends it. */
  expireWatches(): void {
    this.compact();
    for (const watcher of this.#watchers) {
      this.#write(watcher, { type: 'ERROR', object: gone(this.#rv) });
      watcher.response.end();
    }
  }

  /** Sends a BOOKMARK with the current resourceVersion on every open watch. */
  sendBookmarks(): void {
    for (const watcher of this.#watchers) {
      const { kind, apiVersion } = types[watcher.resource];
      this.#write(watcher, { type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: this.resourceVersion } } });
    }
  }

  /** Stops listening and drops every connection: clients get "connection refused". */
  async goDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.resetConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async comeUp(): Promise<void> {
    await this.#listen();
  }

  async close(): Promise<void> {
    if (this.#server.listening) await this.goDown();
  }

  // ---- protocol ----

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (this.#stalling) return;
    if (this.#failures.remaining > 0) {
      this.#failures.remaining--;
      const { status } = this.#failures;
      return sendStatus(response, status, 'InternalError', `injected failure ${status}`);
    }
    const status = statusPath.exec(url.pathname);
    if (status !== null && request.method === 'PATCH' && this.#routeCrds) return this.#patchStatus(request, response, status[2] as Resource, status[1]!, status[3]!);
    const route = routes.map(([pattern, resource]) => [pattern.exec(url.pathname), resource] as const).find(([match]) => match);
    if (route === undefined || request.method !== 'GET') return sendStatus(response, 404, 'NotFound', `no route for ${request.method} ${url.pathname}`);
    if (routeResources.includes(route[1]) && !this.#routeCrds) {
      this.notFound.push(url.pathname);
      return sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource');
    }
    const [match, resource] = route;
    const namespace = match?.[1];
    const labelSelector = url.searchParams.get('labelSelector') ?? undefined;
    const resourceVersion = url.searchParams.get('resourceVersion') ?? undefined;
    const watch = url.searchParams.get('watch') === 'true';
    this.requests.push({
      resource,
      verb: watch ? 'watch' : 'list',
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      ...(url.searchParams.has('limit') ? { limit: Number(url.searchParams.get('limit')) } : {}),
      ...(url.searchParams.has('continue') ? { continue: url.searchParams.get('continue')! } : {}),
      ...(request.headers.authorization === undefined ? {} : { authorization: request.headers.authorization }),
    });
    const watcher: Watcher = { resource, namespace, selector: parseSelector(labelSelector ?? ''), response };
    if (watch) this.#watch(watcher, resourceVersion ?? '');
    else this.#list(watcher, Number(url.searchParams.get('limit') ?? 0), url.searchParams.get('continue') ?? undefined);
  }

  /** A JSON merge patch of a Route's status, refused with 409 when it names an older resourceVersion. */
  #patchStatus(request: IncomingMessage, response: ServerResponse, resource: Resource, namespace: string, name: string): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      this.requests.push({ resource, verb: 'patch', namespace, ...(request.headers.authorization === undefined ? {} : { authorization: request.headers.authorization }) });
      const key = `${namespace}/${name}`;
      const previous = this.#objects[resource].get(key);
      const wanted = (patch.metadata as Json | undefined)?.resourceVersion;
      const stale = wanted !== undefined && wanted !== (previous?.metadata as Json | undefined)?.resourceVersion;
      const conflict = stale || (this.#statusConflicts > 0 && this.#statusConflicts-- > 0);
      const code = previous === undefined ? 404 : conflict ? 409 : 200;
      this.statusWrites.push({ resource, namespace, name, patch, status: code });
      if (previous === undefined) return sendStatus(response, 404, 'NotFound', `${resource} ${key} not found`);
      if (code === 409) return sendStatus(response, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      const rv = ++this.#rv;
      const stored: Json = {
        ...previous,
        status: mergePatchOf(previous.status, patch.status),
        metadata: { ...(previous.metadata as Json), resourceVersion: String(rv) },
      };
      this.#objects[resource].set(key, stored);
      this.#publish({ rv, resource, type: 'MODIFIED', object: stored, previous });
      sendJson(response, 200, this.#withType(resource, stored));
    });
  }

  /** One list, or with `limit` its first page; later pages come from the same snapshot, as etcd gives them. */
  #list(watcher: Watcher, limit: number, token: string | undefined): void {
    const { kind, apiVersion } = types[watcher.resource];
    let listed = token === undefined ? undefined : this.#pagedLists.get(token);
    if (token !== undefined && listed === undefined) return sendStatus(watcher.response, 410, 'Expired', 'the provided continue parameter is too old');
    if (token !== undefined) this.#pagedLists.delete(token);
    listed ??= {
      resourceVersion: this.resourceVersion,
      items: [...this.#objects[watcher.resource].values()]
        .filter((object) => this.#selects(watcher, object))
        .map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item),
    };
    const page = limit > 0 ? listed.items.slice(0, limit) : listed.items;
    const metadata: Json = { resourceVersion: listed.resourceVersion };
    if (page.length < listed.items.length) {
      const next = randomUUID();
      this.#pagedLists.set(next, { resourceVersion: listed.resourceVersion, items: listed.items.slice(page.length) });
      metadata.continue = next;
    }
    sendJson(watcher.response, 200, { kind: `${kind}List`, apiVersion, metadata, items: page });
  }

  #watch(watcher: Watcher, resourceVersion: string): void {
    watcher.response.writeHead(200, { 'content-type': 'application/json' });
    // A real API server sends the headers at once; client-node waits for them.
    watcher.response.flushHeaders();
    if (resourceVersion === '' || resourceVersion === '0') {
      for (const object of this.#objects[watcher.resource].values()) {
        if (this.#selects(watcher, object)) this.#write(watcher, { type: 'ADDED', object: this.#withType(watcher.resource, object) });
      }
    } else if (Number(resourceVersion) < this.#compactedRv) {
      this.#write(watcher, { type: 'ERROR', object: gone(this.#compactedRv, resourceVersion) });
      // client-node relists only once the stream has ended.
      watcher.response.end();
      return;
    } else {
      for (const change of this.#history) {
        if (change.rv > Number(resourceVersion)) this.#send(watcher, change);
      }
    }
    this.#watchers.add(watcher);
    watcher.response.on('close', () => this.#watchers.delete(watcher));
  }

  #publish(change: Change): void {
    this.#history.push(change);
    for (const watcher of this.#watchers) this.#send(watcher, change);
  }

  /** One change as this watcher sees it: objects entering or leaving its selector are ADDED or DELETED. */
  #send(watcher: Watcher, change: Change): void {
    if (change.resource !== watcher.resource) return;
    const now = change.type !== 'DELETED' && this.#selects(watcher, change.object);
    const before = change.previous !== undefined && this.#selects(watcher, change.previous);
    const type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    if (type !== undefined) this.#write(watcher, { type, object: this.#withType(change.resource, change.object) });
  }

  #selects(watcher: Watcher, object: Json): boolean {
    const metadata = object.metadata as Json;
    if (watcher.namespace !== undefined && metadata.namespace !== watcher.namespace) return false;
    return watcher.selector.matches((metadata.labels as Record<string, string> | undefined) ?? {});
  }

  #withType(resource: Resource, object: Json): Json {
    return { ...object, ...types[resource] };
  }

  #write(watcher: Watcher, event: Json): void {
    if (!watcher.response.writableEnded) watcher.response.write(`${JSON.stringify(event)}\n`);
  }
}

/** RFC 7386: objects merge key by key (null deletes), anything else replaces. */
function mergePatchOf(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const result: Json = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete result[key];
    else result[key] = mergePatchOf(result[key], value);
  }
  return result;
}

function gone(currentRv: number, requested?: string): Json {
  const message = requested === undefined ? 'too old resource version' : `too old resource version: ${requested} (${currentRv})`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

function sendStatus(response: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(response, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function sendJson(response: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
