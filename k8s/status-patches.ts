// The loop both status writers (Routes, Gateways) run: each object as the watch last
// delivered it, what kube-xds wants its status to say, and one JSON merge patch of its
// /status subresource at a time, in the background. A patch carries the resourceVersion
// it was computed from, so a concurrent writer makes it fail (409) rather than lose what
// that writer wrote: the watch then brings the newer version and the patch is computed
// again from it; other failures are retried with backoff. An object whose status already
// says what kube-xds would write gets no patch, which also ends the echo of its own writes.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { ApiAccess } from './api-access.ts';
import { ApiStatusError, mergePatch } from './api-requests.ts';
import { Backoff, pause, type BackoffOptions } from './backoff.ts';

export interface StatusWriterOptions {
  readonly backoff: BackoffOptions;
  /** Bounds each write (default 30 s). */
  readonly timeoutMs?: number;
  /** The clock for lastTransitionTime. */
  readonly now?: () => Date;
}

/** The status subresource to patch and the patch; undefined when there is nothing to write. */
export interface StatusPatch {
  readonly path: string;
  readonly body: unknown;
}

type Condition = { readonly type: string; readonly status: string };

export abstract class StatusPatches<Observed, Desired> {
  protected readonly observed = new Map<string, Observed>();
  protected readonly desired = new Map<string, Desired>();
  readonly #access: ApiAccess;
  readonly #options: StatusWriterOptions;
  readonly #backoff: Backoff;
  /** The kind written, for the log: `Route`, `Gateway`. */
  readonly #kind: string;
  readonly #pending = new Set<string>();
  readonly #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(access: ApiAccess, options: StatusWriterOptions, kind: string) {
    this.#access = access;
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    this.#kind = kind;
  }

  /** Starts writing (what was desired and observed before is written then). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** What kube-xds says of the object now; undefined: nothing. */
  desire(key: string, status: Desired | undefined): void {
    if (status === undefined) this.desired.delete(key);
    else this.desired.set(key, status);
    this.#schedule(key);
  }

  /** The patch that makes the object's status say what is desired, from what was observed. */
  protected abstract patchFor(observed: Observed, desired: Desired | undefined): StatusPatch | undefined;

  protected noteObserved(key: string, observed: Observed): void {
    this.observed.set(key, observed);
    this.#schedule(key);
  }

  /** The object was deleted: nothing to write. */
  protected forgetObserved(key: string): void {
    this.observed.delete(key);
    this.#pending.delete(key);
  }

  /** The condition with its lastTransitionTime: the written one while its status stays, else now. */
  protected stamped<C extends Condition>(condition: C, before: Readonly<Record<string, unknown>> | undefined): C & { readonly lastTransitionTime: string } {
    const kept = before?.status === condition.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : undefined;
    return { ...condition, lastTransitionTime: kept ?? (this.#options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z') };
  }

  #schedule(key: string): void {
    this.#pending.add(key);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      const [key] = this.#pending;
      if (key === undefined) {
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
        const delayMs = this.#backoff.next();
        const conflict = error instanceof ApiStatusError && error.status === 409;
        (conflict ? log.debug : log.warn).call(log, { object: key, error: describeError(error), retryInMs: delayMs }, `writing a ${this.#kind} status failed; trying again`);
        await pause(delayMs, signal);
        if (this.observed.has(key)) this.#pending.add(key);
      }
    }
  }

  async #write(key: string, signal: AbortSignal): Promise<void> {
    const observed = this.observed.get(key);
    if (observed === undefined) return;
    const patch = this.patchFor(observed, this.desired.get(key));
    if (patch) await mergePatch(this.#access, patch.path, patch.body, signal, this.#options.timeoutMs ?? 30_000);
  }
}

/** The objects of a list field, as written by anyone. */
export function recordsOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

/** Conditions as compared: what they say, not when they last changed. */
export function untimed(conditions: unknown): Record<string, unknown>[] {
  return recordsOf(conditions).map(({ lastTransitionTime: _time, ...rest }) => rest);
}
