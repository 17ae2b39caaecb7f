// One list-then-watch loop on a collection, surviving what API servers do: a clean close
// re-watches from the last resourceVersion; 410 Gone (an expired resourceVersion) relists,
// and the relist reports what was deleted meanwhile; any other failure (a reset
// connection, a 5xx, a list that never answers) is retried with backoff, again from the
// last resourceVersion, so the watch reports what changed meanwhile, deletions included.
//
// Objects go to the handlers as plain JSON and are not kept: only each object's
// resourceVersion is, to skip what did not change and to find deletions on a relist.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { ApiAccess } from './api-access.ts';
import { ApiStatusError, listCollection, objectMeta, watchCollection, type Query } from './api-requests.ts';
import { Backoff, pause, type BackoffOptions } from './backoff.ts';
import type { SourceObserver } from './source.ts';

export interface WatchedResource {
  /** For metrics: `Service`, `EndpointSlice`, `GRPCRoute` or `HTTPRoute`. */
  readonly kind: string;
  /** The collection path, e.g. /api/v1/namespaces/shop/services. */
  readonly path: string;
  /** Sent with both the list and the watch. */
  readonly labelSelector?: string;
  /**
   * A kind whose CRD may not be installed. A 404 (no such resource) or 403 (not allowed to
   * read it) is then not a failure: the collection reads as empty and synced, and is listed
   * again every `recheckMs`, so installing the CRD (or granting access) later takes effect
   * without a restart. Polling rather than watching CustomResourceDefinitions: it needs no
   * cluster-wide read access, which the namespaced deployment does not have.
   */
  readonly optional?: { readonly recheckMs: number };
}

export interface InformerEvents {
  /** An object was added or changed (plain JSON). */
  apply(object: unknown): void;
  /** An object was deleted (after a relist, only its metadata's namespace and name). */
  remove(object: unknown): void;
  /** A list or watch failed; the informer restarts by itself. */
  failed(message: string): void;
}

export interface InformerOptions {
  readonly backoff: BackoffOptions;
  /** Bounds each list page, so a server that accepts and never answers cannot stall us. */
  readonly listTimeoutMs: number;
  /** A watch silent this long is re-opened: its connection may be dead (default 30 s). */
  readonly watchIdleMs?: number;
  /** Told about each event, complete list and restart. */
  readonly observer?: SourceObserver;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Thrown by the event handler to end a watch whose resourceVersion expired. */
const gone = new Error('410 Gone');

export class ResilientInformer {
  readonly #access: ApiAccess;
  readonly #resource: WatchedResource;
  readonly #events: InformerEvents;
  readonly #options: InformerOptions;
  readonly #backoff: Backoff;
  /** Paces re-watches after clean closes that brought nothing, not even a bookmark. */
  readonly #quietCloses: Backoff;
  readonly #stopped = new AbortController();
  readonly #firstList = deferred();
  /** `namespace/name` -> the resourceVersion last applied. */
  #versions = new Map<string, string>();
  /** Where the next watch starts; '' lists first. */
  #resourceVersion = '';
  #loop: Promise<void> | undefined;
  #synced = false;
  #connected = false;
  #restarts = 0;
  /** An optional resource the API server does not serve (or lets us read): the HTTP status, else undefined. */
  #absent: number | undefined;

  constructor(access: ApiAccess, resource: WatchedResource, events: InformerEvents, options: InformerOptions) {
    this.#access = access;
    this.#resource = resource;
    this.#events = events;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    this.#quietCloses = new Backoff(options.backoff);
  }

  get path(): string {
    return this.#resource.path;
  }

  /** The first list has been applied. */
  get synced(): boolean {
    return this.#synced;
  }

  /** A watch is open and no error happened since. */
  get connected(): boolean {
    return this.#connected;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** An optional resource is not served (404) or not readable (403) now: it reads as empty. */
  get absent(): boolean {
    return this.#absent !== undefined;
  }

  /** Resolves once the first list has been applied; retries until then. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#firstList.promise;
  }

  async stop(): Promise<void> {
    this.#connected = false;
    this.#stopped.abort();
    await this.#loop;
    if (this.#loop && !this.#synced) this.#firstList.reject(new Error(`stopped before ${this.path} was listed`));
  }

  get #stopping(): boolean {
    return this.#stopped.signal.aborted;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        if (this.#resourceVersion === '') await this.#list();
        if (!this.#stopping) await this.#watch();
      } catch (error) {
        if (this.#stopping) break;
        const unavailable = this.#unavailableStatus(error);
        if (unavailable !== undefined) await this.#unavailable(unavailable);
        else await this.#failed(error);
      }
    }
  }

  /** 404 or 403 on an optional resource, else undefined. */
  #unavailableStatus(error: unknown): number | undefined {
    if (this.#resource.optional === undefined || !(error instanceof ApiStatusError)) return undefined;
    return error.status === 404 || error.status === 403 ? error.status : undefined;
  }

  /** Reads the optional resource as empty (what was known of it is deleted) and waits to look again. */
  async #unavailable(status: number): Promise<void> {
    if (this.#absent !== status) {
      const recheckMs = this.#resource.optional!.recheckMs;
      if (status === 404) log.info({ resource: this.path, recheckMs }, 'the API server does not serve this resource (its CRD is not installed); it reads as empty and is looked for again');
      else log.warn({ resource: this.path, recheckMs }, 'not allowed to list this resource (RBAC); it reads as empty and is tried again');
    }
    this.#absent = status;
    this.#resourceVersion = '';
    this.#connected = true;
    for (const key of [...this.#versions.keys()]) {
      this.#versions.delete(key);
      const slash = key.indexOf('/');
      this.#deliver('DELETED', this.#events.remove, { metadata: { namespace: key.slice(0, slash), name: key.slice(slash + 1) } });
    }
    if (!this.#synced) {
      this.#synced = true;
      this.#firstList.resolve();
    }
    await pause(this.#resource.optional!.recheckMs, this.#stopped.signal);
  }

  async #list(): Promise<void> {
    const seen = new Set<string>();
    const resourceVersion = await listCollection(this.#access, this.path, this.#query(), this.#stopped.signal, this.#options.listTimeoutMs, (items) => {
      if (this.#stopping) return;
      for (const object of items) {
        const ref = refOf(object);
        if (ref === undefined) {
          this.#deliver('ADDED', this.#events.apply, object); // the store says what is wrong with it
          continue;
        }
        seen.add(ref.key);
        const previous = this.#versions.get(ref.key);
        if (ref.version !== '' && previous === ref.version) continue;
        this.#versions.set(ref.key, ref.version);
        this.#deliver(previous === undefined ? 'ADDED' : 'MODIFIED', this.#events.apply, object);
      }
    });
    if (this.#stopping) return;
    this.#options.observer?.relisted(this.#resource.kind);
    for (const key of this.#versions.keys()) {
      if (seen.has(key)) continue;
      this.#versions.delete(key);
      const slash = key.indexOf('/');
      this.#deliver('DELETED', this.#events.remove, { metadata: { namespace: key.slice(0, slash), name: key.slice(slash + 1) } });
    }
    this.#resourceVersion = resourceVersion;
    if (this.#absent !== undefined) {
      this.#absent = undefined;
      log.info({ resource: this.path }, 'the resource is served now; following it');
    }
    if (!this.#synced) {
      this.#synced = true;
      this.#firstList.resolve();
    }
  }

  async #watch(): Promise<void> {
    let heard = false;
    const query = { ...this.#query(), resourceVersion: this.#resourceVersion, allowWatchBookmarks: 'true' };
    try {
      const outcome = await watchCollection(this.#access, this.path, query, this.#stopped.signal, this.#options.watchIdleMs ?? 30_000, {
        opened: () => this.#opened(),
        event: (type, object) => {
          heard = true;
          this.#event(type, object);
        },
      });
      // A server that closes every watch at once must not be asked again in a tight loop.
      if (outcome === 'closed' && !heard) await pause(this.#quietCloses.next(), this.#stopped.signal);
    } catch (error) {
      if (error !== gone && !(error instanceof ApiStatusError && error.status === 410)) throw error;
      this.#resourceVersion = '';
    }
  }

  /** Applies one watch event. */
  #event(type: string, object: unknown): void {
    if (type === 'ERROR') {
      const status = object as { code?: unknown; message?: unknown } | null;
      if (status?.code === 410) throw gone;
      throw new Error(`watch: ${typeof status?.message === 'string' ? status.message : 'an ERROR event'}`);
    }
    const version = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (typeof version === 'string' && version !== '') this.#resourceVersion = version;
    if (type === 'BOOKMARK') return;
    const ref = refOf(object);
    if (type === 'DELETED') {
      if (ref !== undefined) this.#versions.delete(ref.key);
      this.#deliver('DELETED', this.#events.remove, object);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    if (ref === undefined) {
      this.#deliver('MODIFIED', this.#events.apply, object); // the store says what is wrong with it
      return;
    }
    const previous = this.#versions.get(ref.key);
    if (ref.version !== '' && previous === ref.version) return;
    this.#versions.set(ref.key, ref.version);
    this.#deliver(previous === undefined ? 'ADDED' : 'MODIFIED', this.#events.apply, object);
  }

  #query(): Query {
    return { labelSelector: this.#resource.labelSelector };
  }

  #opened(): void {
    if (this.#stopping || this.#connected) return;
    this.#connected = true;
    if (this.#restarts > 0) log.info({ resource: this.path, restarts: this.#restarts }, 'kubernetes watch is back');
  }

  async #failed(error: unknown): Promise<void> {
    this.#connected = false;
    const message = describeFailure(error);
    this.#events.failed(message);
    const delayMs = this.#backoff.next();
    log.warn({ resource: this.path, error: message, retryInMs: delayMs }, 'kubernetes list/watch failed; restarting it');
    await pause(delayMs, this.#stopped.signal);
    if (this.#stopping) return;
    this.#restarts++;
    this.#options.observer?.restarted(this.#resource.kind);
  }

  #deliver(type: EventType, handle: (object: unknown) => void, object: unknown): void {
    try {
      this.#options.observer?.event(this.#resource.kind, type);
      handle(object);
    } catch (error) {
      log.error({ resource: this.path, error: describeError(error) }, 'handling a watch event failed');
    }
  }
}

/** `namespace/name` and resourceVersion of an object, if it has them. */
function refOf(object: unknown): { key: string; version: string } | undefined {
  const meta = objectMeta(object);
  return meta && { key: `${meta.namespace}/${meta.name}`, version: meta.resourceVersion };
}

/** The useful part of a failure: the HTTP status and message, or the network error and its cause. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
