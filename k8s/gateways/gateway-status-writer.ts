// Writes each Gateway's status back to the API server: a JSON merge patch of its /status
// subresource setting status.conditions and status.listeners (a Gateway of kube-xds's class
// is kube-xds's alone; status.addresses is left as it is). Like the Route status writer: it
// carries the resourceVersion it read, runs one write at a time in the background, retries
// with backoff, keeps lastTransitionTime while a condition's status stays, and does not
// write what is already there.
import { isDeepStrictEqual } from 'node:util';
import { describeError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { ApiAccess } from '../api-access.ts';
import { ApiStatusError, mergePatch } from '../api-requests.ts';
import { Backoff, pause, type BackoffOptions } from '../backoff.ts';
import { gatewayKey } from '../gateway-model.ts';
import type { GatewayCondition, GatewayStatusModel } from './gateway-status.ts';

export interface GatewayStatusWriterOptions {
  readonly backoff: BackoffOptions;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

interface Observed {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly status: Record<string, unknown>;
}

type Json = Record<string, unknown>;

export class GatewayStatusWriter {
  readonly #access: ApiAccess;
  readonly #options: GatewayStatusWriterOptions;
  readonly #backoff: Backoff;
  readonly #observed = new Map<string, Observed>();
  readonly #desired = new Map<string, GatewayStatusModel>();
  readonly #pending = new Set<string>();
  readonly #stopped = new AbortController();
  #started = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(access: ApiAccess, options: GatewayStatusWriterOptions) {
    this.#access = access;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
  }

  start(): void {
    this.#started = true;
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** The Gateway as the watch delivered it. */
  observe(object: unknown): void {
    const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown; resourceVersion?: unknown } } | null)?.metadata;
    if (typeof metadata?.namespace !== 'string' || typeof metadata.name !== 'string' || typeof metadata.resourceVersion !== 'string') return;
    const status = (object as { status?: unknown }).status;
    const key = gatewayKey(metadata.namespace, metadata.name);
    this.#observed.set(key, { namespace: metadata.namespace, name: metadata.name, resourceVersion: metadata.resourceVersion, status: isRecord(status) ? status : {} });
    this.#schedule(key);
  }

  forget(object: unknown): void {
    const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
    if (typeof metadata?.namespace !== 'string' || typeof metadata.name !== 'string') return;
    const key = gatewayKey(metadata.namespace, metadata.name);
    this.#observed.delete(key);
    this.#pending.delete(key);
  }

  /** What kube-xds says of the Gateway now; undefined: nothing (not its class any more, or gone). */
  desire(key: string, status: GatewayStatusModel | undefined): void {
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
        if (error instanceof ApiStatusError && error.status === 404) continue;
        const delayMs = this.#backoff.next();
        const quiet = error instanceof ApiStatusError && error.status === 409;
        (quiet ? log.debug : log.warn).call(log, { gateway: key, error: describeError(error), retryInMs: delayMs }, 'writing a Gateway status failed; trying again');
        await pause(delayMs, signal);
        if (this.#observed.has(key)) this.#pending.add(key);
      }
    }
  }

  async #write(key: string, signal: AbortSignal): Promise<void> {
    const observed = this.#observed.get(key);
    const desired = this.#desired.get(key);
    // A Gateway not (or no longer) of kube-xds's class: its status is another controller's.
    if (observed === undefined || desired === undefined) return;
    const written = listOf(observed.status.conditions);
    if (written.some((condition) => Number(condition.observedGeneration) > desired.generation)) return;
    const writtenListeners = listOf(observed.status.listeners);
    const conditions = desired.conditions.map((condition) => this.#stamped(condition, written));
    const listeners = desired.listeners.map((listener) => ({
      ...listener,
      conditions: listener.conditions.map((condition) => this.#stamped(condition, listOf(writtenListeners.find((old) => old.name === listener.name)?.conditions))),
    }));
    const wanted = { conditions, listeners };
    if (isDeepStrictEqual(withoutTimes({ conditions: written, listeners: writtenListeners }), withoutTimes(wanted))) return;
    const path = `/apis/gateway.networking.k8s.io/v1/namespaces/${encodeURIComponent(observed.namespace)}/gateways/${encodeURIComponent(observed.name)}/status`;
    await mergePatch(this.#access, path, { metadata: { resourceVersion: observed.resourceVersion }, status: wanted }, signal, this.#options.timeoutMs ?? 30_000);
  }

  #stamped(condition: GatewayCondition, written: readonly Json[]): GatewayCondition & { lastTransitionTime: string } {
    const before = written.find((old) => old.type === condition.type);
    const kept = before?.status === condition.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : undefined;
    return { ...condition, lastTransitionTime: kept ?? (this.#options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z') };
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** What a status says, not when its conditions last changed. */
function withoutTimes(status: { conditions: readonly Json[]; listeners: readonly Json[] }): unknown {
  const bare = (conditions: unknown) => listOf(conditions).map(({ lastTransitionTime: _time, ...rest }) => rest);
  return { conditions: bare(status.conditions), listeners: status.listeners.map((listener) => ({ ...listener, conditions: bare(listener.conditions) })) };
}
