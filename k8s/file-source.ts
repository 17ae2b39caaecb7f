// The model from a folder of Service, EndpointSlice, GRPCRoute, HTTPRoute and Gateway manifests, so kube-xds runs with no
// cluster at all. The folder (top level only; names starting with "." are skipped, which
// also suits ConfigMap mounts and their ..data swaps) is rescanned in full after each
// change, debounced, so editors that save through a temporary file and a rename are fine.
//
// A file that does not parse keeps its last good contents: a half-written file loses
// nothing, and the fixed file applies on its next save. A malformed object is skipped and
// its last good version stays, as the API server refuses an invalid update. A deleted file
// removes its objects. An object written twice: see definitions.ts. If the folder itself
// cannot be read, the last state is served until it can be again.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configError, describeError, KubeXdsError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { chooseDefinitions } from './definitions.ts';
import { FolderNotices } from './folder-notices.ts';
import { isRouteKind, manifestKinds, parseManifest, type ManifestObject, type ParsedManifest } from './manifests.ts';
import type { GatewayStatusModel } from './gateways/gateway-status.ts';
import type { RouteStatusModel } from './routes/route-status.ts';
import { StoreSource, type StoreSourceOptions, type WatchStatus } from './store-source.ts';

export interface FileSourceOptions extends StoreSourceOptions {
  /** Quiet time after a change before rescanning (default 100 ms). */
  readonly debounceMs?: number;
  /** Also rescan this often, for filesystems whose change events get lost (default 30 s; 0 = never). */
  readonly resyncMs?: number;
}

const manifestName = /^[^.].*\.(ya?ml|json)$/i;
/** A rescan reads, and the folder watch follows, every kind at once. */
const kinds = manifestKinds;

interface FileState {
  readonly text: string;
  /** The last version of this file that parsed; undefined while none has. */
  readonly parsed: ParsedManifest | undefined;
  /** The current text does not parse (`parsed` is an earlier version). */
  readonly broken: boolean;
}

export class FileSource extends StoreSource {
  readonly #dir: string;
  readonly #debounceMs: number;
  readonly #resyncMs: number;
  readonly #files = new Map<string, FileState>();
  /** What the store holds, by object key, with the JSON it was given. */
  readonly #applied = new Map<string, { readonly json: string; readonly manifest: ManifestObject }>();
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #scan: Promise<void> | undefined;
  #scanAgain = false;
  #stopping = false;
  #synced = false;
  #readable = false;
  #rejectedTotal = 0;
  #restarts = 0;
  readonly #notices: FolderNotices;

  constructor(dir: string, options: FileSourceOptions = {}) {
    super(options);
    this.#dir = dir;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#resyncMs = options.resyncMs ?? 30_000;
    this.#notices = new FolderNotices(dir);
  }

  /**
   * Loads the folder once; fails with KXDS_BAD_CONFIG if it is not a readable folder. If
   * stop() runs meanwhile, it returns early (unsynced) and leaves nothing running.
   */
  override async start(): Promise<void> {
    const info = await stat(this.#dir).catch(() => undefined);
    if (this.#stopping) return;
    if (!info?.isDirectory()) throw configError(`manifest folder ${this.#dir} does not exist or is not a folder`, { dir: this.#dir });
    this.#watch();
    await this.#rescan();
    if (this.#stopping) return;
    if (this.#resyncMs > 0) this.#resync = setInterval(() => this.#schedule(), this.#resyncMs);
    this.#synced = true;
    this.feed.open();
    log.info({
      dir: this.#dir,
      files: this.#files.size,
      services: this.store.services().size,
      routes: this.store.routeStatuses().size,
      rejected: this.#rejectedNow(),
      duplicates: this.#notices.duplicates,
    }, 'file source loaded');
  }

  override async stop(): Promise<void> {
    this.#stopping = true;
    this.feed.close();
    clearTimeout(this.#debounce);
    clearInterval(this.#resync);
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#scan;
  }

  /** Files have no status to write to: each Route's status is logged when it changes (and in /debug/model). */
  protected override routeStatusChanged(key: string, status: RouteStatusModel | undefined): void {
    if (status === undefined) return;
    const parents = status.parents.map(({ parentRef, conditions }) => ({
      parentRef,
      conditions: conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
    }));
    log.info({ route: key, generation: status.generation, parents }, 'Route status');
  }

  /** Gateways' statuses are logged likewise. */
  protected override gatewayStatusChanged(key: string, status: GatewayStatusModel | undefined): void {
    if (status === undefined) return;
    const listeners = status.listeners.map(({ name, attachedRoutes, conditions }) => ({ name, attachedRoutes, conditions: conditions.map(({ type, status, reason }) => ({ type, status, reason })) }));
    log.info({ gateway: key, generation: status.generation, listeners }, 'Gateway status');
  }

  /** Malformed objects and unparsable files are rejected here, never in the store. restarts: re-established folder watches. */
  protected override watchStatus(): WatchStatus {
    return {
      synced: this.#synced,
      connected: this.#readable,
      restarts: this.#restarts,
      rejectedTotal: this.#rejectedTotal,
      rejectedNow: this.#rejectedNow(),
      duplicates: this.#notices.duplicates,
    };
  }

  /** Each malformed object in the files' current versions; a file that does not parse counts once. */
  #rejectedNow(): number {
    let count = 0;
    for (const file of this.#files.values()) count += file.broken ? 1 : (file.parsed?.rejected.length ?? 0);
    return count;
  }

  #watch(): void {
    try {
      const watcher = watch(this.#dir, () => this.#schedule());
      watcher.on('error', (error) => {
        log.warn({ dir: this.#dir, error: describeError(error) }, 'lost the watch on the manifest folder');
        this.#unwatch();
        this.#schedule();
      });
      this.#watcher = watcher;
    } catch (error) {
      // The folder is gone; the next successful scan watches it again.
      this.lastError = describeError(error);
    }
  }

  #unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #schedule(): void {
    if (this.#stopping) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#rescan().catch((error: unknown) => log.error({ dir: this.#dir, error: describeError(error) }, 'rescanning the manifest folder failed'));
    }, this.#debounceMs);
  }

  /** One scan at a time; a request during a scan runs one more afterwards. */
  async #rescan(): Promise<void> {
    if (this.#scan !== undefined) {
      this.#scanAgain = true;
      return this.#scan;
    }
    this.#scan = (async () => {
      do {
        this.#scanAgain = false;
        await this.#scanOnce();
      } while (this.#scanAgain && !this.#stopping);
    })();
    try {
      await this.#scan;
    } finally {
      this.#scan = undefined;
    }
  }

  async #scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((name) => manifestName.test(name)).sort();
    } catch (error) {
      this.#folderUnreadable(error);
      return;
    }
    if (!this.#readable && this.#synced) log.info({ dir: this.#dir }, 'the manifest folder is readable again');
    this.#readable = true;
    if (this.#watcher === undefined && !this.#stopping) {
      this.#watch();
      if (this.#watcher !== undefined && this.#synced) {
        this.#restarts++;
        for (const kind of kinds) this.observer.restarted(kind);
      }
    }

    let changed = false;
    const present = new Set<string>();
    for (const name of names) {
      const text = await this.#read(name);
      if (text === undefined) continue;
      present.add(name);
      const previous = this.#files.get(name);
      if (previous?.text === text) continue;
      changed = true;
      this.#files.set(name, this.#parse(join(this.#dir, name), text, previous));
    }
    for (const name of this.#files.keys()) {
      if (!present.has(name)) {
        this.#files.delete(name);
        changed = true;
      }
    }
    for (const kind of kinds) this.observer.relisted(kind);
    if (changed && !this.#stopping) this.#reconcile();
  }

  /** The file's text; undefined if it vanished or is a folder. Other failures keep its last contents. */
  async #read(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.#dir, name), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') return undefined;
      this.lastError = describeError(error);
      log.warn({ file: join(this.#dir, name), error: this.lastError }, 'cannot read a manifest file; keeping its last contents');
      return this.#files.get(name)?.text;
    }
  }

  #parse(file: string, text: string, previous: FileState | undefined): FileState {
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(text, file);
    } catch (error) {
      if (!(error instanceof KubeXdsError)) throw error;
      const kept = previous?.parsed;
      if (kept === undefined) this.#reject(error, 'a manifest file does not parse; nothing in it is used until it does');
      else this.#reject(error, 'a manifest file does not parse; keeping its last good contents', { kept: kept.objects.length });
      return { text, parsed: kept, broken: true };
    }
    if (previous?.broken) log.info({ file, objects: parsed.objects.length }, 'a manifest file parses again');
    for (const { error, key } of parsed.rejected) {
      if (key !== undefined && this.#applied.has(key)) this.#reject(error, 'skipping a malformed object in a manifest file; its last good version stays');
      else this.#reject(error, 'skipping a malformed object in a manifest file');
    }
    if (parsed.otherKinds.length > 0) log.debug({ file, kinds: parsed.otherKinds }, 'a manifest file holds other kinds; they are ignored');
    return { text, parsed, broken: false };
  }

  #reject(error: KubeXdsError, message: string, extra: Record<string, unknown> = {}): void {
    this.#rejectedTotal++;
    this.lastError = error.message;
    log.warn({ code: error.code, error: error.message, ...error.context, ...extra }, message);
  }

  /** Brings the store in line with the objects of every file. */
  #reconcile(): void {
    const files = [...this.#files].map(([name, file]) => [name, file.parsed?.objects ?? []] as const);
    const definitions = chooseDefinitions(new Map(files));
    const desired = definitions.chosen;
    const rejectedKeys = new Set([...this.#files.values()].flatMap((file) => file.parsed?.rejected.flatMap(({ key }) => key ?? []) ?? []));
    const servicesBefore = this.store.services().size;
    const changed = new Set<string>();
    const record = (keys: ReadonlySet<string>) => keys.forEach((key) => changed.add(key));
    // One rebuild for the whole rescan: the files are read in name order, so a Route may come
    // before its Service, and its status would otherwise pass through NoMatchingParent.
    this.store.deferRebuilds();
    try {
      this.#applyDesired(desired, rejectedKeys, record);
    } finally {
      record(this.store.rebuildDeferred());
    }
    this.#notices.update(definitions, servicesBefore, this.store.services().size);
    this.feed.add(changed);
  }

  #applyDesired(desired: ReadonlyMap<string, ManifestObject>, rejectedKeys: ReadonlySet<string>, record: (keys: ReadonlySet<string>) => void): void {
    for (const [key, { manifest }] of this.#applied) {
      if (desired.has(key) || rejectedKeys.has(key)) continue;
      this.#applied.delete(key);
      this.observer.event(manifest.kind, 'DELETED');
      record(this.#delete(manifest));
    }
    for (const [key, manifest] of desired) {
      const json = JSON.stringify(manifest.object);
      const previous = this.#applied.get(key);
      if (previous?.json === json) continue;
      this.#applied.set(key, { json, manifest });
      this.observer.event(manifest.kind, previous === undefined ? 'ADDED' : 'MODIFIED');
      record(this.#apply(manifest));
    }
  }

  #apply({ kind, object }: ManifestObject): ReadonlySet<string> {
    if (isRouteKind(kind)) return this.store.applyRoute(kind, object);
    if (kind === 'Gateway') return this.store.applyGateway(object);
    return kind === 'Service' ? this.store.applyService(object) : this.store.applySlice(object);
  }

  #delete({ kind, object }: ManifestObject): ReadonlySet<string> {
    if (isRouteKind(kind)) return this.store.deleteRoute(kind, object);
    if (kind === 'Gateway') return this.store.deleteGateway(object);
    return kind === 'Service' ? this.store.deleteService(object) : this.store.deleteSlice(object);
  }

  #folderUnreadable(error: unknown): void {
    const message = describeError(error);
    if (this.#readable || this.lastError !== message) {
      log.warn({ dir: this.#dir, error: message }, 'cannot read the manifest folder; serving the last state');
    }
    this.#readable = false;
    this.lastError = message;
    // The watch may be on a folder that no longer exists; watch again once it is back.
    this.#unwatch();
  }
}
