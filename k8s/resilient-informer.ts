// One client-node informer (ListWatch) that survives what API servers do: client-node
// relists on 410 Gone and re-watches after a clean close by itself, but any other failure
// (connection reset, 5xx, a failed list) makes it emit `error` and stop for good. We restart
// the SAME informer with backoff: it keeps its cache and resourceVersion, so the re-watch
// (or the relist after 410) reports what changed meanwhile, deletions included.
//
// client-node 2.0.1 also keeps going after stop() in three places (a list in flight, a
// reconnect delay, a watch request in flight); the hooks below end those loops.
import {
  ApiException,
  ListWatch,
  Observable,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { SourceObserver } from './source.ts';

export interface WatchedResource {
  /** For metrics: `Service` or `EndpointSlice`. */
  readonly kind: string;
  /** The collection path, e.g. /api/v1/namespaces/shop/services. */
  readonly path: string;
  /** Sent with both the list and the watch. */
  readonly labelSelector?: string;
  /** One list call of the collection, made with the given per-request options. */
  readonly list: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<KubernetesListObject<KubernetesObject>>;
}

export interface InformerEvents {
  /** An object was added or changed (a class instance after a list, raw JSON from a watch). */
  apply(object: unknown): void;
  remove(object: unknown): void;
  /** A list or watch failed; the informer restarts by itself. */
  failed(message: string): void;
}

export interface InformerOptions {
  readonly backoff: BackoffOptions;
  /** Bounds one list call, so a server that accepts and never answers cannot stall us. */
  readonly listTimeoutMs: number;
  /** Told about each event, complete list and restart. */
  readonly observer?: SourceObserver;
}

const never = new Promise<never>(() => {});

export class ResilientInformer {
  readonly #path: string;
  readonly #kind: string;
  readonly #list: WatchedResource['list'];
  readonly #events: InformerEvents;
  readonly #options: InformerOptions;
  readonly #backoff: Backoff;
  readonly #watch: StoppableWatch;
  readonly #informer: ListWatch<KubernetesObject>;
  readonly #firstList: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  #synced = false;
  #connected = false;
  #restarts = 0;
  #started = false;
  #stopping = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #delays = new Set<NodeJS.Timeout>();

  constructor(kubeConfig: KubeConfig, resource: WatchedResource, events: InformerEvents, options: InformerOptions) {
    this.#path = resource.path;
    this.#kind = resource.kind;
    this.#list = resource.list;
    this.#events = events;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    this.#firstList = deferred();
    this.#watch = new StoppableWatch(kubeConfig, () => this.#opened());
    this.#informer = new ListWatch<KubernetesObject>(resource.path, this.#watch, () => this.#listOnce(), false, resource.labelSelector, undefined, {
      delayFn: (ms) => this.#delay(ms),
    });
    this.#informer.on('add', (object) => this.#deliver('ADDED', events.apply, object));
    this.#informer.on('update', (object) => this.#deliver('MODIFIED', events.apply, object));
    this.#informer.on('delete', (object) => this.#deliver('DELETED', events.remove, object));
    this.#informer.on('error', (error: unknown) => this.#failed(error));
  }

  get path(): string {
    return this.#path;
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

  /** Resolves once the first list has been applied; retries until then. */
  start(): Promise<void> {
    this.#started = true;
    this.#run();
    return this.#firstList.promise;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#connected = false;
    clearTimeout(this.#retry);
    for (const timer of this.#delays) clearTimeout(timer);
    this.#watch.close();
    await this.#informer.stop();
    if (this.#started && !this.#synced) this.#firstList.reject(new Error(`stopped before ${this.#path} was listed`));
  }

  #run(): void {
    // Failures are reported through the informer's `error` event; a rejection here would be a bug.
    this.#informer.start().catch((error: unknown) => this.#failed(error));
  }

  async #listOnce(): Promise<KubernetesListObject<KubernetesObject>> {
    const timeoutMs = this.#options.listTimeoutMs;
    const list = await this.#list(abortAfter(timeoutMs)).catch((error: unknown) => {
      throw error instanceof Error && error.name === 'TimeoutError' ? new Error(`list: no answer within ${timeoutMs} ms`) : error;
    });
    // client-node would go on to watch even after stop(): park its loop instead.
    if (this.#stopping) return never;
    this.#options.observer?.relisted(this.#kind);
    // The informer applies the items synchronously once this promise settles; setImmediate
    // runs after that.
    setImmediate(() => {
      if (this.#synced || this.#stopping) return;
      this.#synced = true;
      this.#firstList.resolve();
    });
    return list;
  }

  /** client-node's own pause before re-watching after a clean close, capped at our ceiling. */
  #delay(ms: number): Promise<void> {
    if (this.#stopping) return never;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#delays.delete(timer);
        resolve();
      }, Math.min(ms, this.#options.backoff.maxMs));
      this.#delays.add(timer);
    });
  }

  #opened(): void {
    if (this.#stopping || this.#connected) return;
    this.#connected = true;
    if (this.#restarts > 0) log.info({ resource: this.#path, restarts: this.#restarts }, 'kubernetes watch is back');
  }

  #failed(error: unknown): void {
    // stop() aborts the watch, which client-node reports as an error too.
    if (this.#stopping) return;
    this.#connected = false;
    const message = describeFailure(error);
    this.#events.failed(message);
    if (this.#retry !== undefined) return;
    const delayMs = this.#backoff.next();
    log.warn({ resource: this.#path, error: message, retryInMs: delayMs }, 'kubernetes list/watch failed; restarting it');
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#restarts++;
      this.#options.observer?.restarted(this.#kind);
      this.#run();
    }, delayMs);
  }

  #deliver(type: 'ADDED' | 'MODIFIED' | 'DELETED', handle: (object: unknown) => void, object: unknown): void {
    // A throw here would surface inside client-node as an unhandled rejection.
    try {
      this.#options.observer?.event(this.#kind, type);
      handle(object);
    } catch (error) {
      log.error({ resource: this.#path, error: describeError(error) }, 'handling a watch event failed');
    }
  }
}

/** A Watch whose requests end for good once closed, including one still connecting. */
class StoppableWatch extends Watch {
  readonly #opened: () => void;
  #closed = false;
  #open: AbortController | undefined;

  constructor(kubeConfig: KubeConfig, opened: () => void) {
    super(kubeConfig);
    this.#opened = opened;
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, object: unknown, event?: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    // Never calling `done` ends the informer's loop quietly.
    if (this.#closed) return new AbortController();
    let controller: AbortController | undefined;
    let ended = false;
    controller = await super.watch(path, query, callback, (error: unknown) => {
      ended = true;
      if (this.#open === controller) this.#open = undefined;
      done(error);
    });
    if (ended) return controller;
    if (this.#closed) {
      controller.abort();
      return controller;
    }
    this.#open = controller;
    this.#opened();
    return controller;
  }

  close(): void {
    this.#closed = true;
    this.#open?.abort();
  }
}

/** Per-request options that abort the list call after `ms`. */
function abortAfter(ms: number): ConfigurationOptions<ObservableMiddleware> {
  const signal = AbortSignal.timeout(ms);
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** client-node errors keep the useful part in an ApiException's body, `statusCode` or `cause`. */
function describeFailure(error: unknown): string {
  if (error instanceof ApiException) return `list: HTTP ${error.code}${statusMessage(error.body)}`;
  if (!(error instanceof Error)) return String(error);
  const { statusCode } = error as Error & { statusCode?: unknown };
  if (typeof statusCode === 'number') return `watch: HTTP ${statusCode} ${error.message}`;
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function statusMessage(body: unknown): string {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message}` : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
