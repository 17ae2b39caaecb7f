// Writes each Route's status back to the API server: a JSON merge patch of its /status
// subresource replacing status.parents with the entries of other controllers, untouched,
// and kube-xds's own (controllerName MESH_CONTROLLER_NAME). The patch carries the
// resourceVersion the entries were read at, so a concurrent writer makes it fail (409)
// rather than lose an entry; the watch then brings the newer version and the write is
// tried again from it. Nothing here blocks the model: writes run one at a time in the
// background, retried with backoff, and a Route whose written status already says what
// kube-xds would write is left alone (which also ends the echo of its own writes).
import { isDeepStrictEqual } from 'node:util';
import { describeError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { ApiAccess } from '../api-access.ts';
import { ApiStatusError, mergePatch } from '../api-requests.ts';
import { Backoff, pause, type BackoffOptions } from '../backoff.ts';
import { routeKey, type RouteKind } from './route-record.ts';
import { isOwnController, type RouteCondition, type RouteStatusModel } from './route-status.ts';

export interface StatusWriterOptions {
  readonly backoff: BackoffOptions;
  /** Bounds each write (default 30 s). */
  readonly timeoutMs?: number;
  /** The clock for lastTransitionTime. */
  readonly now?: () => Date;
}

/** What the API server last said about a Route: where to write, and the entries already there. */
interface Observed {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly parents: readonly Record<string, unknown>[];
}

type WrittenCondition = RouteCondition & { readonly lastTransitionTime: string };

const resources: Record<RouteKind, string> = { GRPCRoute: 'grpcroutes', HTTPRoute: 'httproutes' };

export class RouteStatusWriter {
  readonly #access: ApiAccess;
  readonly #options: StatusWriterOptions;
  readonly #backoff: Backoff;
  readonly #observed = new Map<string, Observed>();
  readonly #desired = new Map<string, RouteStatusModel>();
  readonly #pending = new Set<string>();
  readonly #stopped = new AbortController();
  #started = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #writes = 0;
  #failures = 0;

  constructor(access: ApiAccess, options: StatusWriterOptions) {
    this.#access = access;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** Status patches accepted by the API server, and those that failed, since start. */
  get counts(): { readonly writes: number; readonly failures: number } {
    return { writes: this.#writes, failures: this.#failures };
  }

  /** Starts writing (what was desired and observed before is written then). */
  start(): void {
    this.#started = true;
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** The Route as the watch delivered it (plain JSON). */
  observe(kind: RouteKind, object: unknown): void {
    const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown; resourceVersion?: unknown } } | null)?.metadata;
    if (typeof metadata?.namespace !== 'string' || typeof metadata.name !== 'string' || typeof metadata.resourceVersion !== 'string') return;
    const parents = (object as { status?: { parents?: unknown } }).status?.parents;
    const key = routeKey(kind, metadata.namespace, metadata.name);
    this.#observed.set(key, {
      kind,
      namespace: metadata.namespace,
      name: metadata.name,
      resourceVersion: metadata.resourceVersion,
      parents: Array.isArray(parents) ? parents.filter((parent): parent is Record<string, unknown> => typeof parent === 'object' && parent !== null) : [],
    });
    this.#schedule(key);
  }

  /** The Route was deleted: nothing to write. */
  forget(kind: RouteKind, object: unknown): void {
    const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
    if (typeof metadata?.namespace !== 'string' || typeof metadata.name !== 'string') return;
    const key = routeKey(kind, metadata.namespace, metadata.name);
    this.#observed.delete(key);
    this.#pending.delete(key);
  }

  /** What kube-xds says of the Route now; undefined: nothing (its entries, if any, are removed). */
  desire(key: string, status: RouteStatusModel | undefined): void {
    if (status === undefined) this.#desired.delete(key);
    else this.#desired.set(key, status);
    this.#schedule(key);
  }

  #schedule(key: string): void {
    this.#pending.add(key);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      const [key] = this.#pending;
      if (key === undefined || !this.#started) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      this.#pending.delete(key);
      try {
        await this.#write(key, signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ApiStatusError && error.status === 404) continue; // deleted meanwhile
        this.#failures++;
        // A conflict waits for the watch to bring the newer version; a retry covers a lost event.
        const delayMs = this.#backoff.next();
        const quiet = error instanceof ApiStatusError && error.status === 409;
        (quiet ? log.debug : log.warn).call(log, { route: key, error: describeError(error), retryInMs: delayMs }, 'writing a Route status failed; trying again');
        await pause(delayMs, this.#stopped.signal);
        if (this.#observed.has(key)) this.#pending.add(key);
      }
    }
  }

  async #write(key: string, signal: AbortSignal): Promise<void> {
    const observed = this.#observed.get(key);
    if (observed === undefined) return;
    const desired = this.#desired.get(key);
    const ours = observed.parents.filter((parent) => isOwnController(parent.controllerName));
    const others = observed.parents.filter((parent) => !isOwnController(parent.controllerName));
    // The spec: a condition observed at a newer generation than ours means our copy is stale.
    if (desired !== undefined && ours.some((parent) => conditionsOf(parent).some((condition) => Number(condition.observedGeneration) > desired.generation))) return;
    const wanted = (desired?.parents ?? []).map((parent) => ({
      parentRef: parent.parentRef,
      controllerName: parent.controllerName,
      conditions: parent.conditions.map((condition) => this.#stamped(condition, ours, parent.parentRef)),
    }));
    if (isDeepStrictEqual(ours.map(withoutTimes), wanted.map(withoutTimes))) return;
    const path = `/apis/gateway.networking.k8s.io/v1/namespaces/${encodeURIComponent(observed.namespace)}/${resources[observed.kind]}/${encodeURIComponent(observed.name)}/status`;
    const body = { metadata: { resourceVersion: observed.resourceVersion }, status: { parents: [...others, ...wanted] } };
    await mergePatch(this.#access, path, body, signal, this.#options.timeoutMs ?? 30_000);
    this.#writes++;
  }

  /** The condition with its lastTransitionTime: the written one while its status stays, else now. */
  #stamped(condition: RouteCondition, written: readonly Record<string, unknown>[], parentRef: Readonly<Record<string, unknown>>): WrittenCondition {
    const before = written.filter((parent) => isDeepStrictEqual(parent.parentRef, parentRef)).flatMap(conditionsOf).find((old) => old.type === condition.type);
    const kept = before?.status === condition.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : undefined;
    return { ...condition, lastTransitionTime: kept ?? (this.#options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z') };
  }
}

function conditionsOf(parent: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(parent.conditions) ? parent.conditions.filter((condition): condition is Record<string, unknown> => typeof condition === 'object' && condition !== null) : [];
}

/** An entry as compared: what it says, not when it last changed. */
function withoutTimes(parent: Record<string, unknown>): unknown {
  return {
    parentRef: parent.parentRef,
    controllerName: parent.controllerName,
    conditions: conditionsOf(parent).map(({ lastTransitionTime: _time, ...rest }) => rest),
  };
}
